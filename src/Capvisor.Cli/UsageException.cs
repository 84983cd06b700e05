namespace Capvisor.Cli
{
    /// <summary>Unusable command-line arguments; the CLI prints the message and exits with 2.</summary>
    public sealed class UsageException(string message) : Exception(message);
}
