using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.CapDL
{
    /// <summary>The result of loading a spec: the kernel objects made for it and where their original capabilities are.</summary>
    public sealed class LoadedSpec
    {
        internal LoadedSpec(CNodeObject root)
        {
            Root = root;
        }

        /// <summary>
        /// The loader's CNode: it holds the original capability to every object (the parents, in the
        /// derivation tree, of every capability the spec places) and the capabilities frames are mapped through.
        /// </summary>
        public CNodeObject Root { get; }

        /// <summary>Kernel object for each spec object (extern objects map to the platform's object).</summary>
        public Dictionary<ObjectId, KernelObject> Objects { get; } = [];

        /// <summary>Slot of the original capability to each object.</summary>
        public Dictionary<ObjectId, CSlot> Originals { get; } = [];

        /// <summary>Parts of the spec the kernel has no counterpart for, with the reason (ASID pools, boot-info fills…).</summary>
        public List<string> Skipped { get; } = [];
    }
}
