using System.Globalization;

namespace Capvisor.Cli.Commands
{
    /// <summary><c>--vsock CID:PATH</c>: a virtio-vsock device with the guest's CID and the host Unix socket.</summary>
    /// <param name="Cid">The guest's context ID (3 or more).</param>
    /// <param name="Path">The Unix socket host programs connect to; guest connections to port P go to PATH_P.</param>
    public sealed record VsockOption(ulong Cid, string Path)
    {
        /// <summary>Parses the value of <c>--vsock</c>.</summary>
        /// <exception cref="UsageException">The value is malformed.</exception>
        public static VsockOption Parse(string s)
        {
            int colon = s.IndexOf(':');
            if (colon <= 0 || colon == s.Length - 1
                || !ulong.TryParse(s.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out ulong cid)
                || cid < 3 || cid >= 0xFFFF_FFFF)
            {
                throw new UsageException($"--vsock needs CID:PATH with a CID of 3..4294967294, not '{s}'");
            }

            return new VsockOption(cid, s[(colon + 1)..]);
        }
    }
}
