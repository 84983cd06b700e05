using Capvisor.Board.Devices;

namespace Capvisor.Board.Tests.Infrastructure
{
    internal sealed class RecordingLine : IInterruptLine
    {
        public bool Level { get; private set; }

        public void Set(bool level) => Level = level;
    }
}
