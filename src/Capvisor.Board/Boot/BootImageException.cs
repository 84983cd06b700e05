namespace Capvisor.Board.Boot
{
    /// <summary>A kernel, initrd or DTB cannot be loaded; the message says why in terms a user can act on.</summary>
    public sealed class BootImageException(string message) : Exception(message);
}
