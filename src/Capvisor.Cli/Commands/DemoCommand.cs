namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor demo</c> command.</summary>
    public static class DemoCommand
    {
        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            Console.Error.WriteLine("capvisor demo: not implemented yet");
            return 2;
        }
    }
}
