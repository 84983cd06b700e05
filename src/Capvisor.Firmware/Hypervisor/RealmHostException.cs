using Capvisor.Firmware.Rmm;

namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>The host could not build or run a realm: an RMI command failed, or host memory ran out.</summary>
    public sealed class RealmHostException : Exception
    {
        /// <summary>Creates the exception with <paramref name="message"/>.</summary>
        public RealmHostException(string message)
            : base(message)
        {
        }

        /// <summary>An RMI command <paramref name="command"/> answered <paramref name="result"/>.</summary>
        public RealmHostException(string command, RmiResult result)
            : base($"RMI {command} failed: {result.Status} (index {result.Index})")
        {
            Result = result;
        }

        /// <summary>The failing RMI result, when an RMI command failed.</summary>
        public RmiResult? Result { get; }
    }
}
