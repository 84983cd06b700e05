using System.Text;

namespace Capvisor.Caps.CapDL
{
    internal enum TokenKind
    {
        Identifier,
        Number,
        String,
        Symbol,
        End,
    }

    internal readonly record struct Token(TokenKind Kind, string Text, SourceLocation Location)
    {
        public bool Is(string symbol) => Kind is TokenKind.Symbol or TokenKind.Identifier && Text == symbol;

        public string Describe() => Kind switch
        {
            TokenKind.End => "end of file",
            TokenKind.String => $"string {Text}",
            _ => $"'{Text}'",
        };
    }

    /// <summary>
    /// Splits CapDL text into tokens. Comments are <c>--</c> to end of line and nestable <c>/* */</c>.
    /// Identifiers start with a letter and continue with letters, digits and <c>-_@.</c>, as in capDL-tool.
    /// </summary>
    internal static class CapdlLexer
    {
        public static List<Token> Tokenize(string text, string file)
        {
            var tokens = new List<Token>();
            int i = 0;
            int line = 1;
            int lineStart = 0;

            SourceLocation Here() => new(file, line, i - lineStart + 1);

            while (true)
            {
                // Whitespace and comments.
                while (i < text.Length)
                {
                    char c = text[i];
                    if (c == '\n')
                    {
                        i++;
                        line++;
                        lineStart = i;
                    }
                    else if (char.IsWhiteSpace(c))
                    {
                        i++;
                    }
                    else if (c == '-' && i + 1 < text.Length && text[i + 1] == '-')
                    {
                        while (i < text.Length && text[i] != '\n')
                        {
                            i++;
                        }
                    }
                    else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
                    {
                        SourceLocation start = Here();
                        int depth = 0;
                        do
                        {
                            if (i + 1 < text.Length && text[i] == '/' && text[i + 1] == '*')
                            {
                                depth++;
                                i += 2;
                            }
                            else if (i + 1 < text.Length && text[i] == '*' && text[i + 1] == '/')
                            {
                                depth--;
                                i += 2;
                            }
                            else if (i < text.Length)
                            {
                                if (text[i] == '\n')
                                {
                                    line++;
                                    lineStart = i + 1;
                                }

                                i++;
                            }
                            else
                            {
                                throw new CapdlException(start, "comment '/*' is never closed with '*/'");
                            }
                        }
                        while (depth > 0);
                    }
                    else
                    {
                        break;
                    }
                }

                if (i >= text.Length)
                {
                    tokens.Add(new Token(TokenKind.End, string.Empty, Here()));
                    return tokens;
                }

                SourceLocation at = Here();
                char ch = text[i];
                if (char.IsAsciiLetter(ch))
                {
                    int s = i;
                    while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '-' or '_' or '@' or '.'))
                    {
                        // "a..b" never occurs in names; stop before ".." so ranges after names still lex.
                        if (text[i] == '.' && i + 1 < text.Length && text[i + 1] == '.')
                        {
                            break;
                        }

                        if (text[i] == '-' && i + 1 < text.Length && text[i + 1] == '-')
                        {
                            break;
                        }

                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Identifier, text[s..i], at));
                }
                else if (char.IsAsciiDigit(ch))
                {
                    int s = i;
                    if (ch == '0' && i + 1 < text.Length && text[i + 1] is 'x' or 'X' or 'o' or 'O')
                    {
                        i += 2;
                        while (i < text.Length && char.IsAsciiHexDigit(text[i]))
                        {
                            i++;
                        }
                    }
                    else
                    {
                        while (i < text.Length && char.IsAsciiDigit(text[i]))
                        {
                            i++;
                        }
                    }

                    tokens.Add(new Token(TokenKind.Number, text[s..i], at));
                }
                else if (ch == '"')
                {
                    var sb = new StringBuilder("\"");
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\n')
                        {
                            throw new CapdlException(at, "string is not closed before the end of the line");
                        }

                        sb.Append(text[i++]);
                    }

                    if (i >= text.Length)
                    {
                        throw new CapdlException(at, "string is never closed");
                    }

                    i++;
                    tokens.Add(new Token(TokenKind.String, sb.Append('"').ToString(), at));
                }
                else if (ch == '.' && i + 1 < text.Length && text[i + 1] == '.')
                {
                    tokens.Add(new Token(TokenKind.Symbol, "..", at));
                    i += 2;
                }
                else if ("{}()[],:;=<>/-.".Contains(ch))
                {
                    tokens.Add(new Token(TokenKind.Symbol, ch.ToString(), at));
                    i++;
                }
                else
                {
                    throw new CapdlException(at, $"unexpected character '{ch}'");
                }
            }
        }
    }
}
