namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        /// <summary>Exception-generating, system and rarely used instructions.</summary>
        private void ExecuteSystem(ref DecodedInst d)
        {
            switch (d.Op)
            {
                case Op.Eret: ExceptionReturn(); return;
                case Op.Svc: SupervisorCall((ushort)d.Imm); return;
                case Op.Hvc: HypervisorCall((ushort)d.Imm); return;
                case Op.Smc: SecureMonitorCall((ushort)d.Imm); return;
                case Op.Brk: Breakpoint((ushort)d.Imm); return;
                case Op.Mrs: SetX(d.Rd, ReadSystemRegister((uint)d.Imm, d.Rd)); return;
                case Op.Msr: WriteSystemRegister((uint)d.Imm, d.Rd, GetX(d.Rd)); return;
                case Op.MsrImm: WritePstateField(d.A, d.B, d.C); return;
                case Op.Sys: SystemInstruction((uint)d.Imm, d.Rd); return;
                case Op.Wfi: WaitForInterrupt(); return;
                case Op.Wfe: WaitForEvent(); return;
                case Op.Sev: _host.SendEventToAll(this); return;
                case Op.Sevl: SendEventLocal(); return;
                case Op.Clrex: ClearExclusiveMonitor(); return;
                default:
                    Undefined();
                    return;
            }
        }
    }
}
