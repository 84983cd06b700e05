using System.Buffers.Binary;
using Capvisor.Arm;
using Capvisor.Board.Timers;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// The RMM-private execution state of one REC: its CPU (architectural state beyond what
    /// <see cref="Rec"/> keeps), its EL1 timers, the exit record being built, what the last exit
    /// left for the next REC_ENTER to complete, and its attestation token in progress.
    /// </summary>
    internal sealed class RecExecution
    {
        public RecExecution(Rec rec, ICpuHost host, Func<ICpuHost, Cpu> createCpu)
        {
            Rec = rec;
            Host = host;
            Cpu = createCpu(host);
        }

        /// <summary>What surrounds the REC's CPU (RSI, timers, GIC).</summary>
        public ICpuHost Host { get; }

        public Rec Rec { get; }

        public Cpu Cpu { get; }

        /// <summary>The realm's EL1 physical and virtual timers (kept with the REC, as TF-RMM saves CNT*_EL0 per REC).</summary>
        public GenericTimer Timer { get; } = new();

        /// <summary>The REC's GICv3 virtual CPU interface (list registers from the host).</summary>
        public RealmGicCpuInterface Gic { get; } = new();

        /// <summary>The CPU's retired-instruction count when the current REC_ENTER started running it.</summary>
        public ulong EntryRetired { get; set; }

        /// <summary>The board's counter when the current REC_ENTER started.</summary>
        public ulong EntryBoardCounter { get; set; }

        /// <summary>The realm's counter at its last exit (its time never goes back).</summary>
        public ulong LastExitCounter { get; set; }

        /// <summary>The exit record under construction (RmiRecExit, 0x800 bytes).</summary>
        public byte[] Exit { get; } = new byte[RecRunLayout.ExitSize];

        /// <summary>An RSI/PSCI handler has filled <see cref="Exit"/> and asked the CPU to leave its run loop.</summary>
        public bool ExitStaged { get; set; }

        /// <summary>The last exit was an emulatable data abort (unprotected IPA, ISV = 1): EMUL_MMIO may complete it.</summary>
        public bool LastExitEmulatable { get; set; }

        /// <summary>The last exit was a data abort at an unprotected IPA: INJECT_SEA may answer it.</summary>
        public bool LastExitUnprotectedAbort { get; set; }

        /// <summary>An RSI_HOST_CALL awaits the host's answer (enter.gprs) at <see cref="HostCallIpa"/>.</summary>
        public bool HostCallPending { get; set; }

        public ulong HostCallIpa { get; set; }

        /// <summary>An RSI_IPA_STATE_SET awaits REC_ENTER (after the host's RTT_SET_RIPAS calls).</summary>
        public bool RipasPending { get; set; }

        /// <summary>The token being handed out by RSI_ATTESTATION_TOKEN_CONTINUE, or null (no INIT).</summary>
        public byte[]? Token { get; set; }

        /// <summary>Bytes of <see cref="Token"/> already copied to the realm.</summary>
        public int TokenOffset { get; set; }

        /// <summary>Starts a fresh exit record with <paramref name="reason"/>.</summary>
        public void BeginExit(ulong reason)
        {
            Array.Clear(Exit);
            Set(RecRunLayout.ExitReason, reason);
            LastExitEmulatable = false;
            LastExitUnprotectedAbort = false;
        }

        public void Set(int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Exit.AsSpan(offset), value);

        public void SetGpr(int index, ulong value) => Set(RecRunLayout.ExitGprs + (index * 8), value);

        /// <summary>Fills an exit record and makes the CPU leave its run loop after the current SMC.</summary>
        public void StageExit(ulong reason)
        {
            BeginExit(reason);
            ExitStaged = true;
            Cpu.ExitAfterInstruction(CpuExit.Hypervisor);
        }
    }
}
