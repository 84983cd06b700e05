namespace Capvisor.Arm
{
    /// <summary>One A64 processing element.</summary>
    public sealed partial class Cpu
    {
    }
}
