namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor sdf</c> command.</summary>
    public static class SdfCommand
    {
        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            Console.Error.WriteLine("capvisor sdf: not implemented yet");
            return 2;
        }
    }
}
