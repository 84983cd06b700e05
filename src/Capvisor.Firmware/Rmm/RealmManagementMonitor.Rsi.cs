using System.Buffers.Binary;
using Capvisor.Arm;

namespace Capvisor.Firmware.Rmm
{
    public sealed partial class RealmManagementMonitor
    {
        // PSCI and SMCCC calls a realm may make (TF-RMM runtime/rsi/psci.c, runtime/core/handler.c).
        private const ulong SmcccVersion = 0x80000000;
        private const ulong SmcccArchFeatures = 0x80000001;
        private const ulong SmcccVersion12 = 0x10002;
        private const ulong PsciVersion = 0x84000000;
        private const ulong PsciCpuSuspend32 = 0x84000001;
        private const ulong PsciCpuSuspend64 = 0xC4000001;
        private const ulong PsciCpuOff = 0x84000002;
        private const ulong PsciSystemOff = 0x84000008;
        private const ulong PsciSystemReset = 0x84000009;
        private const ulong PsciFeatures = 0x8400000A;
        private const ulong PsciVersion11 = 0x10001;
        private const ulong PsciInvalidParameters = unchecked((ulong)-2L);
        private const ulong PsciInvalidAddress = unchecked((ulong)-9L);

        /// <summary>
        /// Signs realm attestation tokens (RAK and platform token of this boot); without it
        /// RSI_ATTESTATION_TOKEN_INIT answers RSI_ERROR_UNKNOWN.
        /// </summary>
        public RealmAttestation? Attestation { get; set; }

        /// <summary>Where a protected IPA leads: an ASSIGNED RIPAS RAM granule, RIPAS RAM awaiting the host, or neither.</summary>
        private enum RealmPage
        {
            Invalid,
            Ram,
            Unassigned,
        }

        /// <summary>
        /// An SMC from realm EL1 (TF-RMM <c>handle_realm_rsi</c>): RSI 1.0, PSCI and SMCCC_VERSION.
        /// Every argument is the realm's and checked; an unknown function ID answers SMC_UNKNOWN.
        /// Calls that need the host stage an exit record on <paramref name="x"/>.
        /// </summary>
        internal void HandleRealmSmc(RecExecution x, Cpu cpu)
        {
            ulong fid = (uint)cpu.X[0] & ~RmiFunctionId.SveHint;
            RealmDescriptor rd = x.Rec.Realm;
            switch (fid)
            {
                case RsiFunctionId.Version:
                    cpu.X[0] = cpu.X[1] == RsiFunctionId.AbiVersion ? RsiFunctionId.Success : RsiFunctionId.ErrorInput;
                    cpu.X[1] = RsiFunctionId.AbiVersion;
                    cpu.X[2] = RsiFunctionId.AbiVersion;
                    return;
                case RsiFunctionId.Features:
                    // RSI 1.0 defines no feature bits (TF-RMM runtime/rsi/feature.c).
                    cpu.X[0] = RsiFunctionId.Success;
                    cpu.X[1] = 0;
                    return;
                case RsiFunctionId.MeasurementRead:
                    MeasurementRead(rd, cpu);
                    return;
                case RsiFunctionId.MeasurementExtend:
                {
                    Span<ulong> words = stackalloc ulong[8];
                    for (int i = 0; i < 8; i++)
                    {
                        words[i] = cpu.X[3 + i];
                    }

                    cpu.X[0] = rd.TryExtend(cpu.X[1], cpu.X[2], words) ? RsiFunctionId.Success : RsiFunctionId.ErrorInput;
                    return;
                }

                case RsiFunctionId.AttestationTokenInit:
                    TokenInit(x, cpu);
                    return;
                case RsiFunctionId.AttestationTokenContinue:
                    TokenContinue(x, cpu);
                    return;
                case RsiFunctionId.RealmConfig:
                    RealmConfig(x, cpu);
                    return;
                case RsiFunctionId.IpaStateSet:
                    IpaStateSet(x, cpu);
                    return;
                case RsiFunctionId.IpaStateGet:
                    IpaStateGet(rd, cpu);
                    return;
                case RsiFunctionId.HostCall:
                    HostCall(x, cpu);
                    return;
                case SmcccVersion:
                    cpu.X[0] = SmcccVersion12;
                    return;
                case SmcccArchFeatures:
                    cpu.X[0] = RmiResult.SmcUnknown;
                    return;
                case PsciVersion:
                    cpu.X[0] = PsciVersion11;
                    return;
                case PsciFeatures:
                    cpu.X[0] = IsRealmPsci((uint)cpu.X[1]) ? PsciSuccess : PsciNotSupported;
                    return;
                case PsciCpuSuspend32:
                case PsciCpuSuspend64:
                    // The host may treat it as WFI; the realm sees success.
                    cpu.X[0] = PsciSuccess;
                    PsciExit(x, cpu, fid);
                    return;
                case PsciCpuOff:
                    lock (_sync)
                    {
                        x.Rec.Runnable = false;
                    }

                    cpu.X[0] = PsciSuccess;
                    PsciExit(x, cpu, fid);
                    return;
                case PsciCpuOn32:
                case PsciCpuOn64:
                    CpuOn(x, cpu, fid);
                    return;
                case PsciAffinityInfo32:
                case PsciAffinityInfo64:
                    AffinityInfo(x, cpu, fid);
                    return;
                case PsciSystemOff:
                case PsciSystemReset:
                    SystemOff(rd);
                    cpu.X[0] = PsciSuccess;
                    PsciExit(x, cpu, fid);
                    return;
                default:
                    cpu.X[0] = RmiResult.SmcUnknown;
                    return;
            }
        }

        // SMCCC_VERSION is listed too: Linux asks PSCI_FEATURES before it trusts SMCCC_VERSION,
        // and needs SMCCC 1.1 or later for the RSI conduit.
        private static bool IsRealmPsci(uint fid) => fid switch
        {
            (uint)SmcccVersion or (uint)PsciVersion or (uint)PsciFeatures or (uint)PsciCpuSuspend32 or (uint)PsciCpuSuspend64 or (uint)PsciCpuOff
                or (uint)PsciCpuOn32 or (uint)PsciCpuOn64 or (uint)PsciAffinityInfo32 or (uint)PsciAffinityInfo64
                or (uint)PsciSystemOff or (uint)PsciSystemReset => true,
            _ => false,
        };

        /// <summary>RMI_EXIT_PSCI: the function ID and its three arguments go to the host (SMC32 calls: 32-bit arguments).</summary>
        private static void PsciExit(RecExecution x, Cpu cpu, ulong fid)
        {
            ulong mask = (fid & (1UL << 30)) != 0 ? ulong.MaxValue : 0xFFFF_FFFF;
            x.StageExit(RecRunLayout.ExitPsci);
            x.SetGpr(0, fid);
            for (int i = 1; i <= 3; i++)
            {
                x.SetGpr(i, cpu.X[i] & mask);
            }
        }

        // TF-RMM psci_cpu_on: the entry point must be protected, the target an existing other REC.
        private void CpuOn(RecExecution x, Cpu cpu, ulong fid)
        {
            ulong mask = fid == PsciCpuOn32 ? 0xFFFF_FFFF : ulong.MaxValue;
            ulong target = cpu.X[1] & mask, entry = cpu.X[2] & mask;
            RealmDescriptor rd = x.Rec.Realm;
            if (!rd.InPar(entry))
            {
                cpu.X[0] = PsciInvalidAddress;
                return;
            }

            if (!TargetRecIndex(rd, target, out ulong index))
            {
                cpu.X[0] = PsciInvalidParameters;
                return;
            }

            if (index == x.Rec.Index)
            {
                cpu.X[0] = PsciAlreadyOn;
                return;
            }

            PsciPendingExit(x, cpu, fid);
        }

        // TF-RMM psci_affinity_info: level 0 only; asking about itself answers ON at once.
        private void AffinityInfo(RecExecution x, Cpu cpu, ulong fid)
        {
            ulong mask = fid == PsciAffinityInfo32 ? 0xFFFF_FFFF : ulong.MaxValue;
            RealmDescriptor rd = x.Rec.Realm;
            if ((cpu.X[2] & mask) != 0 || !TargetRecIndex(rd, cpu.X[1] & mask, out ulong index))
            {
                cpu.X[0] = PsciInvalidParameters;
                return;
            }

            if (index == x.Rec.Index)
            {
                cpu.X[0] = PsciAffinityOn;
                return;
            }

            PsciPendingExit(x, cpu, fid);
        }

        /// <summary>The request waits for RMI_PSCI_COMPLETE, which reads the arguments from the REC's saved X1–X3.</summary>
        private void PsciPendingExit(RecExecution x, Cpu cpu, ulong fid)
        {
            lock (_sync)
            {
                x.Rec.PsciPending = true;
            }

            if (fid == PsciCpuOn32 || fid == PsciAffinityInfo32)
            {
                for (int i = 1; i <= 3; i++)
                {
                    cpu.X[i] &= 0xFFFF_FFFF;
                }
            }

            PsciExit(x, cpu, fid);
        }

        private bool TargetRecIndex(RealmDescriptor rd, ulong mpidr, out ulong index)
        {
            index = MpidrEl1ToIndex(mpidr);
            bool wellFormed = (mpidr & ~0xFF_00FF_FF0FUL) == 0;
            lock (_sync)
            {
                return wellFormed && index < rd.RecCount;
            }
        }

        private static void MeasurementRead(RealmDescriptor rd, Cpu cpu)
        {
            Span<ulong> words = stackalloc ulong[8];
            if (!rd.TryRead(cpu.X[1], words))
            {
                cpu.X[0] = RsiFunctionId.ErrorInput;
                return;
            }

            cpu.X[0] = RsiFunctionId.Success;
            for (int i = 0; i < 8; i++)
            {
                cpu.X[1 + i] = words[i];
            }
        }

        // RSI_ATTESTATION_TOKEN_INIT: the claims (measurements now) and the signature are made at
        // once; CONTINUE hands the token out. A new INIT discards a token in progress.
        private void TokenInit(RecExecution x, Cpu cpu)
        {
            x.Token = null;
            x.TokenOffset = 0;
            RealmAttestation? attestation = Attestation;
            if (attestation == null)
            {
                cpu.X[0] = RsiFunctionId.ErrorUnknown;
                return;
            }

            Span<byte> challenge = stackalloc byte[64];
            for (int i = 0; i < 8; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(challenge[(i * 8)..], cpu.X[1 + i]);
            }

            byte[] token = attestation.CreateToken(x.Rec.Realm, challenge);
            x.Token = token;
            cpu.X[0] = RsiFunctionId.Success;
            cpu.X[1] = (ulong)token.Length;
        }

        // RSI_ATTESTATION_TOKEN_CONTINUE: X1 granule IPA, X2 offset in it, X3 bytes at most;
        // X1 = bytes written; INCOMPLETE until the last byte is out.
        private void TokenContinue(RecExecution x, Cpu cpu)
        {
            ulong ipa = cpu.X[1], offset = cpu.X[2], size = cpu.X[3];
            RealmDescriptor rd = x.Rec.Realm;
            if ((ipa & GranuleMask) != 0 || !rd.InPar(ipa) || offset >= GranuleSize || size > GranuleSize - offset)
            {
                cpu.X[0] = RsiFunctionId.ErrorInput;
                return;
            }

            byte[]? token = x.Token;
            if (token == null)
            {
                cpu.X[0] = RsiFunctionId.ErrorState;
                return;
            }

            int length = (int)Math.Min(size, (ulong)(token.Length - x.TokenOffset));
            lock (_sync)
            {
                switch (ResolveProtected(rd, ipa, out ulong pa, out int level))
                {
                    case RealmPage.Invalid:
                        cpu.X[0] = RsiFunctionId.ErrorInput;
                        return;
                    case RealmPage.Unassigned:
                        RetryAfterHostMapsPage(x, cpu, ipa, level);
                        return;
                }

                token.AsSpan(x.TokenOffset, length).CopyTo(_memory.GetGranule(pa).Slice((int)offset, length));
            }

            x.TokenOffset += length;
            cpu.X[1] = (ulong)length;
            if (x.TokenOffset == token.Length)
            {
                x.Token = null;
                cpu.X[0] = RsiFunctionId.Success;
            }
            else
            {
                cpu.X[0] = RsiFunctionId.Incomplete;
            }
        }

        // RSI_REALM_CONFIG: RsiRealmConfig in a protected RIPAS RAM granule.
        private void RealmConfig(RecExecution x, Cpu cpu)
        {
            ulong ipa = cpu.X[1];
            RealmDescriptor rd = x.Rec.Realm;
            if ((ipa & GranuleMask) != 0 || !rd.InPar(ipa))
            {
                cpu.X[0] = RsiFunctionId.ErrorInput;
                return;
            }

            lock (_sync)
            {
                switch (ResolveProtected(rd, ipa, out ulong pa, out int level))
                {
                    case RealmPage.Invalid:
                        cpu.X[0] = RsiFunctionId.ErrorInput;
                        return;
                    case RealmPage.Unassigned:
                        RetryAfterHostMapsPage(x, cpu, ipa, level);
                        return;
                }

                Span<byte> config = _memory.GetGranule(pa)[..RsiFunctionId.RealmConfigSize];

                // TF-RMM writes the algorithm as a byte; Linux reads a u64 there, so 0x8–0x1FF is zeroed.
                config[..0x200].Clear();
                BinaryPrimitives.WriteUInt64LittleEndian(config, (ulong)rd.IpaBits);
                config[8] = (byte)rd.Algorithm;
                rd.Rpv.CopyTo(config[0x200..]);
            }

            cpu.X[0] = RsiFunctionId.Success;
        }

        // RSI_IPA_STATE_SET (TF-RMM handle_rsi_ipa_state_set): validated, then the host is asked.
        private void IpaStateSet(RecExecution x, Cpu cpu)
        {
            ulong baseIpa = cpu.X[1], top = cpu.X[2], ripas = cpu.X[3], flags = cpu.X[4];
            RealmDescriptor rd = x.Rec.Realm;
            if (ripas > (ulong)Ripas.Ram || (baseIpa & GranuleMask) != 0 || (top & GranuleMask) != 0
                || top <= baseIpa || top > (1UL << (rd.IpaBits - 1)))
            {
                cpu.X[0] = RsiFunctionId.ErrorInput;
                return;
            }

            lock (_sync)
            {
                Rec rec = x.Rec;
                rec.SetRipasBase = baseIpa;
                rec.SetRipasTop = top;
                rec.SetRipasValue = (Ripas)ripas;
                rec.SetRipasChangeDestroyed = (flags & RsiFunctionId.ChangeDestroyed) != 0;
            }

            x.RipasPending = true;
            x.StageExit(RecRunLayout.ExitRipasChange);
            x.Set(RecRunLayout.ExitRipasBase, baseIpa);
            x.Set(RecRunLayout.ExitRipasTop, top);
            x.Set(RecRunLayout.ExitRipasValue, ripas);
        }

        /// <summary>Ends a pending IPA_STATE_SET: RTT_SET_RIPAS has nothing more to do for the REC.</summary>
        internal void ClearSetRipas(Rec rec)
        {
            lock (_sync)
            {
                rec.SetRipasBase = 0;
                rec.SetRipasTop = 0;
            }
        }

        // RSI_IPA_STATE_GET: X1 = end of the region from X1 (up to X2) with one RIPAS, X2 = that RIPAS.
        private void IpaStateGet(RealmDescriptor rd, Cpu cpu)
        {
            ulong baseIpa = cpu.X[1], end = cpu.X[2];
            if ((baseIpa & GranuleMask) != 0 || (end & GranuleMask) != 0 || end <= baseIpa || end > (1UL << (rd.IpaBits - 1)))
            {
                cpu.X[0] = RsiFunctionId.ErrorInput;
                return;
            }

            Ripas? ripas = null;
            ulong addr = baseIpa;
            lock (_sync)
            {
                while (addr < end)
                {
                    RttWalk w = Walk(rd, addr, S2tte.PageLevel);
                    Ripas r = S2tte.GetRipas(ReadEntry(w.Table, w.Index));
                    if (ripas is { } first && r != first)
                    {
                        break;
                    }

                    ripas = r;
                    ulong size = S2tte.MapSize(w.Level);
                    addr = (addr & ~(size - 1)) + size;
                }
            }

            cpu.X[0] = RsiFunctionId.Success;
            cpu.X[1] = Math.Min(addr, end);
            cpu.X[2] = (ulong)ripas!.Value;
        }

        // RSI_HOST_CALL: RsiHostCall (imm, gprs[31]) goes to the host in the exit record; the
        // host's answer comes back into the structure at the next REC_ENTER.
        private void HostCall(RecExecution x, Cpu cpu)
        {
            ulong ipa = cpu.X[1];
            RealmDescriptor rd = x.Rec.Realm;
            if ((ipa & (RsiFunctionId.HostCallSize - 1)) != 0 || !rd.InPar(ipa))
            {
                cpu.X[0] = RsiFunctionId.ErrorInput;
                return;
            }

            Span<byte> call = stackalloc byte[RsiFunctionId.HostCallSize];
            lock (_sync)
            {
                switch (ResolveProtected(rd, ipa, out ulong pa, out int level))
                {
                    case RealmPage.Invalid:
                        cpu.X[0] = RsiFunctionId.ErrorInput;
                        return;
                    case RealmPage.Unassigned:
                        RetryAfterHostMapsPage(x, cpu, ipa, level);
                        return;
                }

                _memory.GetGranule(pa).Slice((int)(ipa & GranuleMask), RsiFunctionId.HostCallSize).CopyTo(call);
            }

            x.HostCallPending = true;
            x.HostCallIpa = ipa;
            x.StageExit(RecRunLayout.ExitHostCall);
            x.Set(RecRunLayout.ExitImm, BinaryPrimitives.ReadUInt16LittleEndian(call));
            for (int i = 0; i < RsiFunctionId.HostCallGprs; i++)
            {
                x.SetGpr(i, BinaryPrimitives.ReadUInt64LittleEndian(call[(8 + (i * 8))..]));
            }
        }

        /// <summary>
        /// TF-RMM <c>complete_host_call</c> at REC_ENTER: the host's gprs go into the realm's
        /// RsiHostCall and X0 = RSI_SUCCESS. Returns false, with a data abort exit staged, when the
        /// structure's granule is no longer mapped.
        /// </summary>
        internal bool CompleteHostCall(RecExecution x, Cpu cpu, ReadOnlySpan<byte> gprs)
        {
            ulong ipa = x.HostCallIpa;
            lock (_sync)
            {
                RealmPage page = ResolveProtected(x.Rec.Realm, ipa, out ulong pa, out int level);
                if (page != RealmPage.Ram)
                {
                    x.BeginExit(RecRunLayout.ExitSync);
                    SetStage2AbortExit(x, ipa, level);
                    return false;
                }

                gprs.CopyTo(_memory.GetGranule(pa).Slice((int)(ipa & GranuleMask) + 8, RsiFunctionId.HostCallGprs * 8));
            }

            x.HostCallPending = false;
            cpu.X[0] = RsiFunctionId.Success;
            return true;
        }

        /// <summary>
        /// The RSI call needs a granule the host has not populated (RIPAS RAM, UNASSIGNED): exit as
        /// a stage-2 data abort at that IPA and run the SMC again on return (TF-RMM
        /// <c>emulate_stage2_data_abort</c>).
        /// </summary>
        private static void RetryAfterHostMapsPage(RecExecution x, Cpu cpu, ulong ipa, int level)
        {
            cpu.NextPc = cpu.Pc;
            x.StageExit(RecRunLayout.ExitSync);
            SetStage2AbortExit(x, ipa, level);
        }

        private static void SetStage2AbortExit(RecExecution x, ulong ipa, int level)
        {
            x.Set(RecRunLayout.ExitEsr, ((ulong)RealmCpuRunner.EcDataAbortLower << 26) | (0x04UL + (ulong)level));
            x.Set(RecRunLayout.ExitHpfar, ((ipa & ~GranuleMask) >> 12) << 4);
        }

        /// <summary>Caller holds the lock. Where <paramref name="ipa"/> (protected) leads; <paramref name="level"/> is where the walk stopped.</summary>
        private RealmPage ResolveProtected(RealmDescriptor rd, ulong ipa, out ulong pa, out int level)
        {
            pa = 0;
            level = rd.StartLevel;
            if (!rd.InPar(ipa))
            {
                return RealmPage.Invalid;
            }

            RttWalk w = Walk(rd, ipa, S2tte.PageLevel);
            level = w.Level;
            ulong e = ReadEntry(w.Table, w.Index);
            if (S2tte.IsAssignedRam(e, w.Level))
            {
                pa = S2tte.Pa(e, w.Level) + (ipa & (S2tte.MapSize(w.Level) - 1) & ~GranuleMask);
                return RealmPage.Ram;
            }

            return S2tte.IsUnassignedRam(e) ? RealmPage.Unassigned : RealmPage.Invalid;
        }

        /// <summary>Whether the protected <paramref name="ipa"/> has RIPAS EMPTY (TF-RMM <c>ipa_is_empty</c>).</summary>
        internal bool IpaIsEmpty(RealmDescriptor rd, ulong ipa)
        {
            if (!rd.InPar(ipa))
            {
                return false;
            }

            lock (_sync)
            {
                RttWalk w = Walk(rd, ipa, S2tte.PageLevel);
                ulong e = ReadEntry(w.Table, w.Index);
                return S2tte.IsUnassignedEmpty(e) || S2tte.IsAssignedEmpty(e);
            }
        }
    }
}
