namespace Capvisor.Board.Devices
{
    /// <summary>A level-sensitive interrupt input (a GIC SPI or PPI) a device drives.</summary>
    public interface IInterruptLine
    {
        /// <summary>Sets the line's level; devices call it only when the level may have changed.</summary>
        void Set(bool level);
    }
}
