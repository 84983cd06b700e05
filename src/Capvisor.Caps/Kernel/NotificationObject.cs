namespace Capvisor.Caps.Kernel
{
    /// <summary>A notification: a word of pending signal bits, used for virtual interrupts and doorbells. Carries data only, never capabilities.</summary>
    public sealed class NotificationObject : KernelObject
    {
        internal NotificationObject(ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source)
            : base(ObjectType.Notification, ObjectSizes.NotificationBits, physicalAddress, pas, source, 0)
        {
        }

        /// <summary>The pending badge bits (OR of the badges signalled since the last wait).</summary>
        public ulong Word { get; private set; }

        /// <summary>Whether a signal arrived since the last wait.</summary>
        public bool IsPending { get; private set; }

        internal void Signal(ulong badge)
        {
            Word |= badge;
            IsPending = true;
        }

        internal ulong Poll()
        {
            ulong w = Word;
            Word = 0;
            IsPending = false;
            return w;
        }
    }
}
