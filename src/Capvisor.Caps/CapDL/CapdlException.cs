namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// An invalid CapDL specification or system description. <see cref="Exception.Message"/> reads
    /// <c>file:line:column: message</c>, in the form compilers use, so editors can jump to it.
    /// </summary>
    public sealed class CapdlException : Exception
    {
        /// <summary>Creates the exception for a problem at <paramref name="location"/>.</summary>
        public CapdlException(SourceLocation location, string message)
            : base($"{location}: {message}")
        {
            Location = location;
            Reason = message;
        }

        /// <summary>Creates the exception for a problem not tied to one position.</summary>
        public CapdlException(string message)
            : base(message)
        {
            Reason = message;
        }

        /// <summary>Where the problem is, when known.</summary>
        public SourceLocation? Location { get; }

        /// <summary>The message without the location.</summary>
        public string Reason { get; }
    }
}
