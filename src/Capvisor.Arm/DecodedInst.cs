namespace Capvisor.Arm
{
    /// <summary>
    /// A pre-decoded instruction: the encoding's fields extracted once, so executing it again
    /// costs a cache lookup and a switch. Nothing in it depends on the instruction's address.
    /// </summary>
    internal struct DecodedInst
    {
        /// <summary>The instruction word this entry was decoded from.</summary>
        public uint Raw;
        /// <summary>False for an empty cache slot.</summary>
        public bool Valid;
        /// <summary>What to execute.</summary>
        public Op Op;
    }
}
