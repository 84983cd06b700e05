namespace Capvisor.Firmware.Rmm
{
    /// <summary>The registers an RMI command returns: X0 = status | index &lt;&lt; 8, X1–X4 outputs.</summary>
    public readonly record struct RmiResult(ulong X0, ulong X1 = 0, ulong X2 = 0, ulong X3 = 0, ulong X4 = 0)
    {
        /// <summary>The value an SMCCC call with an unimplemented function ID returns in X0 (−1).</summary>
        public const ulong SmcUnknown = ulong.MaxValue;

        /// <summary>The status byte of X0.</summary>
        public RmiStatus Status => (RmiStatus)(X0 & 0xFF);

        /// <summary>The index byte of X0 (the RTT level for <see cref="RmiStatus.ErrorRtt"/>).</summary>
        public byte Index => (byte)((X0 >> 8) & 0xFF);

        /// <summary>Packs a status and an index into X0.</summary>
        public static ulong Pack(RmiStatus status, int index = 0) => (ulong)status | ((ulong)(byte)index << 8);

        internal static RmiResult Of(RmiStatus status, int index = 0) => new(Pack(status, index));

        internal static RmiResult Rtt(int level) => new(Pack(RmiStatus.ErrorRtt, level));

        /// <inheritdoc />
        public override string ToString() => $"{Status}/{Index} X1={X1:x} X2={X2:x} X3={X3:x} X4={X4:x}";
    }
}
