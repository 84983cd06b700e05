using System.Globalization;

namespace Capvisor.Caps.CapDL
{
    /// <summary>CapDL number syntax: decimal, <c>0x</c> hexadecimal or <c>0o</c> octal, as capDL-tool reads them.</summary>
    public static class CapdlNumber
    {
        /// <summary>Parses a number; throws <see cref="FormatException"/> when it is not one.</summary>
        public static ulong Parse(string text)
        {
            if (TryParse(text, out ulong v))
            {
                return v;
            }

            throw new FormatException($"'{text}' is not a number");
        }

        /// <summary>Parses a number.</summary>
        public static bool TryParse(string text, out ulong value)
        {
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
            }

            if (text.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
            {
                value = 0;
                foreach (char c in text.AsSpan(2))
                {
                    if (c is < '0' or > '7' || value > ulong.MaxValue >> 3)
                    {
                        return false;
                    }

                    value = (value << 3) | (uint)(c - '0');
                }

                return text.Length > 2;
            }

            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
    }
}
