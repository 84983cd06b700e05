namespace Capvisor.Caps.CapDL
{
    /// <summary>Whether a TCB capability is a reply capability.</summary>
    public enum ReplyKind
    {
        /// <summary>An ordinary TCB capability.</summary>
        None,

        /// <summary><c>reply</c></summary>
        Reply,

        /// <summary><c>master_reply</c></summary>
        MasterReply,
    }
}
