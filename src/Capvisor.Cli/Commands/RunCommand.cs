namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor run</c> command: kvmtool-style options, guest serial console on stdin/stdout.</summary>
    public static class RunCommand
    {
        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            RealmRunOptions? realm = RealmRunOptions.IsRealmRun(args) ? RealmRunOptions.Parse(args) : null;
            var options = realm?.Board ?? RunOptions.Parse(args);
            if (options.Help)
            {
                Console.Out.Write(RunOptions.Usage + RealmRunOptions.Usage);
                return 0;
            }

            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                // Without a raw terminal: the first Ctrl-C stops the guest cleanly, a second one kills the process.
                if (!cancel.IsCancellationRequested)
                {
                    e.Cancel = true;
                    cancel.Cancel();
                }
            };
            using var stdout = Console.OpenStandardOutput();
            var input = new ConsoleEscapeStream(Console.OpenStandardInput());
            input.Escaped += () => cancel.Cancel();
            // A realm has no console input yet: keep the terminal cooked so Ctrl-C stops it.
            using var terminal = options.DumpDtb == null && realm == null ? RawTerminal.Enter() : null;
            TextWriter messages = Console.Error;
            if (terminal is { Active: true })
            {
                // Raw mode turns off output processing: end lines with CR LF ourselves.
                messages = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true, NewLine = "\r\n" };
                messages.WriteLine("capvisor: serial console on this terminal; press Ctrl-A x to quit");
            }

            return realm != null
                ? RealmRunner.Run(realm, stdout, messages, cancel.Token)
                : GuestRunner.Run(options, stdout, input, messages, cancel.Token);
        }
    }
}
