namespace Capvisor.Board.Virtio.Vsock
{
    /// <summary>virtio-vsock packet operations (virtio 1.2 §5.10.6).</summary>
    public enum VsockOp : ushort
    {
        /// <summary>VIRTIO_VSOCK_OP_INVALID.</summary>
        Invalid = 0,

        /// <summary>Connection request.</summary>
        Request = 1,

        /// <summary>Connection accepted.</summary>
        Response = 2,

        /// <summary>Connection refused or torn down.</summary>
        Rst = 3,

        /// <summary>No more data in one or both directions (flags: 1 receive, 2 send).</summary>
        Shutdown = 4,

        /// <summary>Stream data.</summary>
        Rw = 5,

        /// <summary>buf_alloc/fwd_cnt changed.</summary>
        CreditUpdate = 6,

        /// <summary>Please send a credit update.</summary>
        CreditRequest = 7,
    }
}
