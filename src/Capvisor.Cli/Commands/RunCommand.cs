namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor run</c> command: kvmtool-style options, guest serial console on stdin/stdout.</summary>
    public static class RunCommand
    {
        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            var options = RunOptions.Parse(args);
            if (options.Help)
            {
                Console.Out.Write(RunOptions.Usage);
                return 0;
            }

            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                // First Ctrl-C stops the guest cleanly; a second one kills the process.
                if (!cancel.IsCancellationRequested)
                {
                    e.Cancel = true;
                    cancel.Cancel();
                }
            };
            using var stdout = Console.OpenStandardOutput();
            using var stdin = Console.OpenStandardInput();
            return GuestRunner.Run(options, stdout, stdin, Console.Error, cancel.Token);
        }
    }
}
