using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.Tests.Kernel
{
    public class KernelTests
    {
        private readonly SparsePhysicalMemory _memory = new();
        private readonly CapKernel _kernel;
        private readonly CNodeObject _root;

        public KernelTests()
        {
            _kernel = new CapKernel(_memory);
            _root = _kernel.CreateRootCNode(8);
            _kernel.AddUntyped(_root[0], PhysicalAddressSpace.NonSecure, 0x4000_0000, 24);
            _kernel.AddUntyped(_root[1], PhysicalAddressSpace.Realm, 0x8000_0000, 24);
            _kernel.AddUntyped(_root[2], PhysicalAddressSpace.NonSecure, 0x0900_0000, 16, isDevice: true);
            _kernel.CreateIrqControl(_root[3]);
        }

        [Fact]
        public void RetypeAlignsEachObjectAndAdvancesTheWatermark()
        {
            var objs = _kernel.Retype(_root[0], ObjectType.Endpoint, 0, _root, 10, 1);
            Assert.Equal(0x4000_0000UL, objs[0].PhysicalAddress);
            var frames = _kernel.Retype(_root[0], ObjectType.Frame4K, 0, _root, 11, 2);
            Assert.Equal(0x4000_1000UL, frames[0].PhysicalAddress);
            Assert.Equal(0x4000_2000UL, frames[1].PhysicalAddress);
            var big = _kernel.Retype(_root[0], ObjectType.Frame2M, 0, _root, 13, 1);
            Assert.Equal(0x4020_0000UL, big[0].PhysicalAddress);
            Assert.Equal(PhysicalAddressSpace.NonSecure, big[0].AddressSpace);
            var realm = _kernel.Retype(_root[1], ObjectType.Frame4K, 0, _root, 14, 1);
            Assert.Equal(PhysicalAddressSpace.Realm, realm[0].AddressSpace);
            _kernel.CheckInvariants();
        }

        [Fact]
        public void RetypeRefusesWhenFullOrDestinationOccupied()
        {
            var e = Assert.Throws<CapabilityException>(() => _kernel.Retype(_root[0], ObjectType.Frame2M, 0, _root, 10, 9));
            Assert.Equal(KernelError.NotEnoughMemory, e.Error);
            e = Assert.Throws<CapabilityException>(() => _kernel.Retype(_root[0], ObjectType.Frame4K, 0, _root, 1, 1));
            Assert.Equal(KernelError.DeleteFirst, e.Error);
            e = Assert.Throws<CapabilityException>(() => _kernel.Retype(_root[2], ObjectType.Tcb, 0, _root, 10, 1));
            Assert.Equal(KernelError.InvalidArgument, e.Error);
            e = Assert.Throws<CapabilityException>(() => _kernel.Retype(_root[0], ObjectType.DeviceRegion, 12, _root, 10, 1));
            Assert.Equal(KernelError.InvalidArgument, e.Error);
        }

        [Fact]
        public void RetypedMemoryIsZeroedAndReusedOnlyAfterRevoke()
        {
            var f = _kernel.Retype(_root[0], ObjectType.Frame4K, 0, _root, 10, 1)[0];
            _memory.Write(f.PhysicalAddress, new byte[] { 1, 2, 3 });
            _kernel.Copy(_root[10], _root[11]);

            // The untyped still has a live child: new objects go above it.
            var g = _kernel.Retype(_root[0], ObjectType.Frame4K, 0, _root, 12, 1)[0];
            Assert.NotEqual(f.PhysicalAddress, g.PhysicalAddress);

            _kernel.Revoke(_root[0]);
            Assert.Empty(_root[0].Descendants());
            Assert.False(f.IsLive);
            Assert.True(_root[10].IsEmpty && _root[11].IsEmpty && _root[12].IsEmpty);

            var h = _kernel.Retype(_root[0], ObjectType.Frame4K, 0, _root, 10, 1)[0];
            Assert.Equal(f.PhysicalAddress, h.PhysicalAddress);
            Assert.True(_memory.IsZero(h.PhysicalAddress, h.Size));
            _kernel.CheckInvariants();
        }

        [Fact]
        public void DeviceMemoryIsNotZeroed()
        {
            _memory.Write(0x0900_0000, new byte[] { 0xaa });
            var d = _kernel.Retype(_root[2], ObjectType.DeviceRegion, 12, _root, 10, 1)[0];
            Assert.False(_memory.IsZero(d.PhysicalAddress, d.Size));
        }

        [Fact]
        public void MintMasksRightsAndBadgesOnce()
        {
            _kernel.Retype(_root[0], ObjectType.Endpoint, 0, _root, 10, 1);
            _kernel.Mint(_root[10], _root[11], CapRights.Write | CapRights.Grant, 7);
            Assert.Equal(CapRights.Write | CapRights.Grant, _root[11].Cap!.Rights);
            Assert.Equal(7UL, _root[11].Cap!.Badge);
            _kernel.Mint(_root[11], _root[12], CapRights.All, 0);
            Assert.Equal(CapRights.Write | CapRights.Grant, _root[12].Cap!.Rights);
            Assert.Equal(7UL, _root[12].Cap!.Badge);
            var e = Assert.Throws<CapabilityException>(() => _kernel.Mint(_root[11], _root[13], CapRights.All, 8));
            Assert.Equal(KernelError.IllegalOperation, e.Error);
            Assert.Same(_root[11], _root[12].Parent);
            Assert.Same(_root[10], _root[11].Parent);
        }

        [Fact]
        public void MoveKeepsDerivationPositionAndDeleteReparents()
        {
            _kernel.Retype(_root[0], ObjectType.Notification, 0, _root, 10, 1);
            _kernel.Copy(_root[10], _root[11]);
            _kernel.Copy(_root[11], _root[12]);
            _kernel.Move(_root[11], _root[20]);
            Assert.True(_root[11].IsEmpty);
            Assert.Same(_root[10], _root[20].Parent);
            Assert.Same(_root[20], _root[12].Parent);
            _kernel.Mutate(_root[20], _root[21], CapRights.Read, 5);
            Assert.Equal(CapRights.Read, _root[21].Cap!.Rights);
            Assert.Equal(5UL, _root[21].Cap!.Badge);
            _kernel.Delete(_root[21]);
            Assert.Same(_root[10], _root[12].Parent);
            _kernel.CheckInvariants();
        }

        [Fact]
        public void LastCapabilityDeletionDestroysTheObject()
        {
            var n = _kernel.Retype(_root[0], ObjectType.Notification, 0, _root, 10, 1)[0];
            _kernel.Copy(_root[10], _root[11]);
            _kernel.Delete(_root[10]);
            Assert.True(n.IsLive);
            _kernel.Delete(_root[11]);
            Assert.False(n.IsLive);
            Assert.DoesNotContain(n, _kernel.LiveObjects);
        }

        [Fact]
        public void CNodeLookupFollowsGuardsAndRadix()
        {
            var sub = (CNodeObject)_kernel.Retype(_root[0], ObjectType.CNode, 4, _root, 10, 1)[0];
            _kernel.MintCNode(_root[10], _root[11], CapRights.All, 0x3, 2);
            _kernel.Retype(_root[0], ObjectType.Endpoint, 0, sub, 5, 1);

            // Root CNode cap: guard 0 of 56 bits + 8 radix = 64 bits.
            var rootCap = new Capability(_root, CapRights.All, Guard: 0, GuardBits: 0);
            Assert.Same(_root[11], CapKernel.ResolveSlot(rootCap, 11, 8));

            // Through slot 11: 8 bits index, then 2 guard bits (0b11) and 4 radix bits.
            ulong cptr = (11UL << 6) | (0x3UL << 4) | 5;
            Assert.Same(sub[5], CapKernel.ResolveSlot(rootCap, cptr, 14));
            var e = Assert.Throws<CapabilityException>(() => CapKernel.ResolveSlot(rootCap, (11UL << 6) | (0x1UL << 4) | 5, 14));
            Assert.Equal(KernelError.FailedLookup, e.Error);
            Assert.Throws<CapabilityException>(() => CapKernel.ResolveSlot(rootCap, cptr, 13));
        }

        [Fact]
        public void VSpaceMapsFramesWithMaskedRightsAndRejectsOverlap()
        {
            _kernel.Retype(_root[0], ObjectType.VSpace, 0, _root, 10, 1);
            var f = _kernel.Retype(_root[1], ObjectType.Frame4K, 0, _root, 11, 1)[0];
            _kernel.Retype(_root[1], ObjectType.Frame2M, 0, _root, 12, 1);
            _kernel.Mint(_root[11], _root[13], CapRights.Read, 0);
            _kernel.Map(_root[13], _root[10], 0x8000_1000, CapRights.Read | CapRights.Write);
            var vs = (VSpaceObject)_root[10].Cap!.Object;
            Assert.True(vs.TryTranslate(0x8000_1234, out var t));
            Assert.Equal(f.PhysicalAddress + 0x234, t.PhysicalAddress);
            Assert.Equal(CapRights.Read, t.Rights);
            Assert.Equal(PhysicalAddressSpace.Realm, t.AddressSpace);

            var e = Assert.Throws<CapabilityException>(() => _kernel.Map(_root[12], _root[10], 0x8000_0000, CapRights.Read));
            Assert.Equal(KernelError.DeleteFirst, e.Error);
            e = Assert.Throws<CapabilityException>(() => _kernel.Map(_root[12], _root[10], 0x8010_0000, CapRights.Read));
            Assert.Equal(KernelError.AlignmentError, e.Error);
            _kernel.Map(_root[12], _root[10], 0x8020_0000, CapRights.Read | CapRights.Write);
            e = Assert.Throws<CapabilityException>(() => _kernel.Map(_root[12], _root[10], 0x8040_0000, CapRights.Read));
            Assert.Equal(KernelError.DeleteFirst, e.Error);

            _kernel.Delete(_root[13]);
            Assert.False(vs.TryTranslate(0x8000_1000, out _));
            _kernel.Revoke(_root[0]);
            Assert.Null(_root[12].Mapping);
            _kernel.CheckInvariants();
        }

        [Fact]
        public void VcpuBindsToVSpaceAndIsUnboundWhenTheVSpaceGoes()
        {
            _kernel.Retype(_root[0], ObjectType.VSpace, 0, _root, 10, 1);
            var v = (VcpuObject)_kernel.Retype(_root[0], ObjectType.Vcpu, 0, _root, 11, 1)[0];
            _kernel.BindVcpu(_root[11], _root[10]);
            Assert.NotNull(v.VSpace);
            _kernel.Delete(_root[10]);
            Assert.Null(v.VSpace);
        }

        [Fact]
        public void IrqHandlersSignalTheirNotification()
        {
            _kernel.Retype(_root[0], ObjectType.Notification, 0, _root, 10, 1);
            _kernel.Mint(_root[10], _root[11], CapRights.All, 0x4);
            _kernel.IssueIrqHandler(_root[3], 33, _root[12]);
            Assert.Throws<CapabilityException>(() => _kernel.IssueIrqHandler(_root[3], 33, _root[13]));
            _kernel.SetIrqNotification(_root[12], _root[11]);
            Assert.True(_kernel.RaiseIrq(33));
            Assert.False(_kernel.RaiseIrq(33));
            Assert.Equal(0x4UL, _kernel.Poll(_root[10]));
            _kernel.AckIrq(_root[12]);
            Assert.True(_kernel.RaiseIrq(33));
            _kernel.Delete(_root[12]);
            _kernel.IssueIrqHandler(_root[3], 33, _root[13]);
            _kernel.CheckInvariants();
        }

        [Fact]
        public void DeletingACNodeDeletesWhatItHolds()
        {
            var sub = (CNodeObject)_kernel.Retype(_root[0], ObjectType.CNode, 2, _root, 10, 1)[0];
            var ep = _kernel.Retype(_root[0], ObjectType.Endpoint, 0, sub, 0, 1)[0];
            _kernel.Copy(_root[10], sub[1]); // the CNode holds a cap to itself
            _kernel.Delete(_root[10]);
            Assert.True(sub.IsLive);
            _kernel.Revoke(_root[0]);
            Assert.False(sub.IsLive);
            Assert.False(ep.IsLive);
            _kernel.CheckInvariants();
        }
    }
}
