namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        private void Execute(ref DecodedInst d)
        {
            switch (d.Op)
            {
                default:
                    Undefined();
                    break;
            }
        }
    }
}
