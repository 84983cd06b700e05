namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor run</c> command.</summary>
    public static class RunCommand
    {
        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            Console.Error.WriteLine("capvisor run: not implemented yet");
            return 2;
        }
    }
}
