using System.Text;

namespace Capvisor.Cli.Tests
{
    /// <summary>A unified diff of two transcripts, line by line (LCS), for failure messages.</summary>
    internal static class BareMetalDiff
    {
        /// <summary>Lines compared at most per side; the rest is summarised.</summary>
        private const int MaxLines = 6000;

        public static string Unified(string expected, string actual, string expectedName, string actualName, int context = 3)
        {
            var a = SplitLines(expected);
            var b = SplitLines(actual);
            var truncated = a.Length > MaxLines || b.Length > MaxLines;
            if (truncated)
            {
                a = a[..Math.Min(a.Length, MaxLines)];
                b = b[..Math.Min(b.Length, MaxLines)];
            }

            // lcs[i, j] = length of the LCS of a[i..] and b[j..]
            var lcs = new int[a.Length + 1, b.Length + 1];
            for (var i = a.Length - 1; i >= 0; i--)
            {
                for (var j = b.Length - 1; j >= 0; j--)
                {
                    lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
                }
            }

            // edit script: (' ' | '-' | '+', index in a, index in b)
            var edits = new List<(char Op, int A, int B)>();
            int x = 0, y = 0;
            while (x < a.Length || y < b.Length)
            {
                if (x < a.Length && y < b.Length && a[x] == b[y])
                {
                    edits.Add((' ', x++, y++));
                }
                else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
                {
                    edits.Add(('-', x++, y));
                }
                else
                {
                    edits.Add(('+', x, y++));
                }
            }

            var sb = new StringBuilder();
            sb.Append("--- ").Append(expectedName).Append('\n');
            sb.Append("+++ ").Append(actualName).Append('\n');
            var k = 0;
            var hunks = 0;
            while (k < edits.Count)
            {
                if (edits[k].Op == ' ')
                {
                    k++;
                    continue;
                }

                // a hunk: from `context` lines before this change to `context` lines after the
                // last change that is within 2*context of the previous one
                var start = Math.Max(0, k - context);
                var end = k;
                var lastChange = k;
                while (end < edits.Count && end - lastChange <= 2 * context)
                {
                    if (edits[end].Op != ' ')
                    {
                        lastChange = end;
                    }

                    end++;
                }

                end = Math.Min(edits.Count, lastChange + context + 1);
                int aStart = edits[start].A, bStart = edits[start].B;
                int aCount = 0, bCount = 0;
                for (var i = start; i < end; i++)
                {
                    if (edits[i].Op != '+')
                    {
                        aCount++;
                    }

                    if (edits[i].Op != '-')
                    {
                        bCount++;
                    }
                }

                sb.Append($"@@ -{aStart + 1},{aCount} +{bStart + 1},{bCount} @@\n");
                for (var i = start; i < end; i++)
                {
                    var (op, ia, ib) = edits[i];
                    sb.Append(op).Append(op == '+' ? b[ib] : a[ia]).Append('\n');
                }

                k = end;
                if (++hunks == 20)
                {
                    sb.Append("... (more hunks omitted)\n");
                    break;
                }
            }

            if (truncated)
            {
                sb.Append($"... (compared the first {MaxLines} lines only)\n");
            }

            return sb.ToString();
        }

        /// <summary>The first line (1-based) where the transcripts differ, with both versions.</summary>
        public static string FirstDifference(string expected, string actual)
        {
            var a = SplitLines(expected);
            var b = SplitLines(actual);
            for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
            {
                var la = i < a.Length ? a[i] : "<end of output>";
                var lb = i < b.Length ? b[i] : "<end of output>";
                if (la != lb)
                {
                    return $"line {i + 1}:\n  qemu:     {la}\n  capvisor: {lb}";
                }
            }

            return "the transcripts are identical";
        }

        private static string[] SplitLines(string s)
        {
            if (s.Length == 0)
            {
                return [];
            }

            var lines = s.Split('\n');
            // a final newline does not start another line; a missing one shows as "\ No newline"
            return s.EndsWith('\n') ? lines[..^1] : [.. lines[..^1], lines[^1] + "\\ (no newline at end)"];
        }
    }
}
