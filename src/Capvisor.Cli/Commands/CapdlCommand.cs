namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor capdl</c> command.</summary>
    public static class CapdlCommand
    {
        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            Console.Error.WriteLine("capvisor capdl: not implemented yet");
            return 2;
        }
    }
}
