namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// A realm execution context (vCPU) as the RMM keeps it: the register state REC_CREATE set up
    /// and the requests pending with the host (PSCI, RIPAS change). Architectural state beyond
    /// X0–X30/PC belongs to the CPU integration (<see cref="IRecRunner"/>).
    /// </summary>
    public sealed class Rec
    {
        /// <summary>Number of general-purpose registers kept (X0–X30).</summary>
        public const int GprCount = 31;

        private readonly ulong[] _aux;

        internal Rec(ulong address, RealmDescriptor realm, ulong index, RecParams p, ulong[] aux)
        {
            Address = address;
            Realm = realm;
            Index = index;
            RecMpidr = p.Mpidr;
            Pc = p.Pc;
            for (int i = 0; i < RecParams.GprCount; i++)
            {
                Gprs[i] = p.Gprs[i];
            }

            Runnable = (p.Flags & RecParams.FlagRunnable) != 0;
            _aux = aux;
        }

        /// <summary>Physical address of the REC granule.</summary>
        public ulong Address { get; }

        /// <summary>The realm the REC belongs to.</summary>
        public RealmDescriptor Realm { get; }

        /// <summary>Index of the REC in its realm (creation order).</summary>
        public ulong Index { get; }

        /// <summary>MPIDR in RmiRecMpidr form (Aff3 in [31:24]).</summary>
        public ulong RecMpidr { get; }

        /// <summary>The MPIDR_EL1 value the realm sees (Aff3 moved to [39:32]).</summary>
        public ulong MpidrEl1 => (RecMpidr & 0xFF_FFFF) | ((RecMpidr >> 24 & 0xFF) << 32);

        /// <summary>Physical addresses of the auxiliary granules.</summary>
        public IReadOnlyList<ulong> AuxGranules => _aux;

        /// <summary>Whether the REC may run (RUNNABLE flag; PSCI CPU_ON/CPU_OFF change it).</summary>
        public bool Runnable { get; set; }

        /// <summary>Program counter.</summary>
        public ulong Pc { get; set; }

        /// <summary>X0–X30.</summary>
        public ulong[] Gprs { get; } = new ulong[GprCount];

        /// <summary>SCTLR_EL1 as the runner last saved it (PSCI CPU_ON copies its EE bit to the target).</summary>
        public ulong SctlrEl1 { get; set; }

        /// <summary>A PSCI request (CPU_ON, AFFINITY_INFO) awaits RMI_PSCI_COMPLETE; the REC cannot run.</summary>
        public bool PsciPending { get; set; }

        /// <summary>Set by a completed PSCI CPU_ON: the runner must reset PSTATE and EL1 system registers before running.</summary>
        public bool NeedsReset { get; set; }

        /// <summary>SCTLR_EL1 of the REC that called CPU_ON, for <see cref="NeedsReset"/>.</summary>
        public ulong ResetCallerSctlrEl1 { get; set; }

        /// <summary>Next IPA of the realm's pending RSI_IPA_STATE_SET (RTT_SET_RIPAS must start here).</summary>
        public ulong SetRipasBase { get; set; }

        /// <summary>Top of the pending RSI_IPA_STATE_SET.</summary>
        public ulong SetRipasTop { get; set; }

        /// <summary>RIPAS requested by the pending RSI_IPA_STATE_SET.</summary>
        public Ripas SetRipasValue { get; set; }

        /// <summary>Whether the pending request may change DESTROYED entries.</summary>
        public bool SetRipasChangeDestroyed { get; set; }

        /// <summary>Whether the REC is running inside REC_ENTER (its granule refcount is non-zero).</summary>
        public bool IsRunning { get; internal set; }
    }
}
