namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor platform</c> command.</summary>
    public static class PlatformCommand
    {
        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            Console.Error.WriteLine("capvisor platform: not implemented yet");
            return 2;
        }
    }
}
