namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// A virtio device fed from the host asynchronously (network frames, vsock connections).
    /// Host threads only queue data and call <see cref="InputArrived"/>; the device's queues are
    /// touched only on the machine's thread, from <see cref="DeliverInput"/>, so guest memory is
    /// never written behind a running CPU. Input that arrives this way depends on host timing:
    /// a run with such a device attached is not reproducible even with deterministic time.
    /// </summary>
    public interface IVirtioHostInput
    {
        /// <summary>True when something waits to be given to the guest (read from any thread).</summary>
        bool HasInput { get; }

        /// <summary>
        /// Called on a host thread whenever input arrives, so that an idle machine can wake up.
        /// Set by the board before the device starts.
        /// </summary>
        Action? InputArrived { get; set; }

        /// <summary>
        /// Returns whether the guest transmitted since the last call, and clears it. An idle
        /// machine gives the host a short moment to answer before it moves time on, so a reply to
        /// what the guest just sent is not overtaken by a jump of deterministic time.
        /// </summary>
        bool TakeTransmitted();

        /// <summary>Moves pending input into the guest's receive queue (machine thread only).</summary>
        void DeliverInput(VirtioMmioTransport transport);
    }
}
