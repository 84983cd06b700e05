namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor attest</c> command.</summary>
    public static class AttestCommand
    {
        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            Console.Error.WriteLine("capvisor attest: not implemented yet");
            return 2;
        }
    }
}
