namespace Capvisor.Caps.Kernel
{
    /// <summary>seL4 capability access rights. A derived capability holds a subset of its source's rights.</summary>
    [Flags]
    public enum CapRights
    {
        /// <summary>No rights.</summary>
        None = 0,

        /// <summary>Receive on an endpoint or notification; read a frame.</summary>
        Read = 1,

        /// <summary>Send on an endpoint or notification; write a frame.</summary>
        Write = 2,

        /// <summary>Transfer capabilities in a message (on frames, CapDL uses it for execute).</summary>
        Grant = 4,

        /// <summary>Transfer a reply capability only.</summary>
        GrantReply = 8,

        /// <summary>All rights.</summary>
        All = Read | Write | Grant | GrantReply,
    }
}
