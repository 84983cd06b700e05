using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Capvisor.Cli.Commands
{
    /// <summary>
    /// One <c>--net</c>: a virtio-net device on an unprivileged datagram socket.
    /// <c>udp:LPORT:RHOST:RPORT</c> or <c>unix:LOCALPATH:REMOTEPATH</c>, optionally followed by
    /// <c>,mac=XX:XX:XX:XX:XX:XX</c>.
    /// </summary>
    /// <param name="Local">UDP: the local endpoint; null for Unix.</param>
    /// <param name="Remote">UDP: the peer; null for Unix.</param>
    /// <param name="LocalPath">Unix: the socket path to bind.</param>
    /// <param name="RemotePath">Unix: the peer's socket path.</param>
    /// <param name="Mac">The MAC address, or null for QEMU's default sequence.</param>
    public sealed record NetOption(IPEndPoint? Local, IPEndPoint? Remote, string? LocalPath, string? RemotePath, byte[]? Mac)
    {
        /// <summary>Parses the value of <c>--net</c>.</summary>
        /// <exception cref="UsageException">The value is malformed.</exception>
        public static NetOption Parse(string s)
        {
            string spec = s;
            byte[]? mac = null;
            int comma = s.IndexOf(",mac=", StringComparison.Ordinal);
            if (comma >= 0)
            {
                spec = s[..comma];
                mac = ParseMac(s[(comma + 5)..]);
            }

            string[] parts = spec.Split(':');
            if (parts[0] == "udp" && parts.Length == 4)
            {
                int localPort = ParsePort(parts[1], s);
                var remote = new IPEndPoint(Resolve(parts[2]), ParsePort(parts[3], s));
                // Loopback peers get a loopback socket: the guest's network is not exposed to the LAN.
                var localAddress = IPAddress.IsLoopback(remote.Address)
                    ? remote.Address
                    : remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
                return new NetOption(new IPEndPoint(localAddress, localPort), remote, null, null, mac);
            }

            if (parts[0] == "unix" && parts.Length == 3 && parts[1].Length > 0 && parts[2].Length > 0)
            {
                return new NetOption(null, null, parts[1], parts[2], mac);
            }

            throw new UsageException($"--net needs udp:LPORT:RHOST:RPORT or unix:LOCALPATH:REMOTEPATH (optionally ,mac=...), not '{s}'");
        }

        private static int ParsePort(string p, string s)
        {
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            {
                throw new UsageException($"--net: '{p}' is not a port number in '{s}'");
            }

            return port;
        }

        private static IPAddress Resolve(string host)
        {
            if (IPAddress.TryParse(host, out var address))
            {
                return address;
            }

            try
            {
                var all = Dns.GetHostAddresses(host);
                return all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? all.First();
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException or ArgumentException)
            {
                throw new UsageException($"--net: cannot resolve '{host}'");
            }
        }

        private static byte[] ParseMac(string s)
        {
            string[] parts = s.Split(':');
            var mac = new byte[6];
            if (parts.Length != 6)
            {
                throw new UsageException($"--net: a MAC is six hex bytes separated by ':', not '{s}'");
            }

            for (int i = 0; i < 6; i++)
            {
                if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
                {
                    throw new UsageException($"--net: a MAC is six hex bytes separated by ':', not '{s}'");
                }
            }

            if ((mac[0] & 1) != 0)
            {
                throw new UsageException($"--net: {s} is a multicast address");
            }

            return mac;
        }
    }
}
