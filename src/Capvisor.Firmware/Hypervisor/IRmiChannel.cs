using Capvisor.Firmware.Rmm;

namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>
    /// How the host reaches the RMM: one RMI command per call, as an SMC from the Non-secure
    /// world would issue it (function ID in X0, arguments in X1–X6, results in X0–X4).
    /// </summary>
    public interface IRmiChannel
    {
        /// <summary>Issues RMI command <paramref name="functionId"/> and returns X0–X4.</summary>
        RmiResult Call(uint functionId, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x4 = 0, ulong x5 = 0, ulong x6 = 0);
    }
}
