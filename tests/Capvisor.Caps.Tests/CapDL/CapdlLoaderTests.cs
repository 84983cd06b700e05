using Capvisor.Caps.CapDL;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.Tests.CapDL
{
    public class CapdlLoaderTests
    {
        private readonly SparsePhysicalMemory _memory = new();
        private readonly CapKernel _kernel;
        private readonly CNodeObject _boot;

        public CapdlLoaderTests()
        {
            _kernel = new CapKernel(_memory);
            _boot = _kernel.CreateRootCNode(6);
            _kernel.AddUntyped(_boot[0], PhysicalAddressSpace.Realm, 0x8000_0000, 26);
            _kernel.AddUntyped(_boot[1], PhysicalAddressSpace.NonSecure, 0x0800_0000, 25, isDevice: true);
            _kernel.CreateIrqControl(_boot[2]);
        }

        private const string Vm = """
            arch aarch64
            objects {
              vm_tcb = tcb (prio: 100)
              vm_vcpu = vcpu
              vm_cnode = cnode (4 bits)
              vm_vspace = pgd
              vm_pud = pud
              vm_pd = pd
              vm_pt = pt
              ram[2] = frame (2M)
              boot = frame (4k, fill: [{0x10 4 CDL_FrameFill_FileData "image.bin" 1}])
              uart = frame (4k, paddr: 0x9000000)
              doorbell = notification
              serial = irq
              pool = ut (22 bits) { fault_ep, spare }
              fault_ep = ep
              spare = frame (4k)
            }
            caps {
              vm_tcb { cspace: vm_cnode (guard_size: 60)  vspace: vm_vspace  bound_vcpu: vm_vcpu  fault_ep_slot: fault_ep (W, badge: 9) }
              vm_cnode {
                1: doorbell (W, badge: 2)
                2: fault_ep (RWG)
                3: vm_tcb
              }
              vm_vspace { 0: vm_pud }
              vm_pud { 1: vm_pd }
              vm_pd { 0: ram[0..1] (RW)  2: vm_pt }
              vm_pt { 0: boot (RX)  1: uart (RW, uncached) }
              serial { 0: doorbell (badge: 4) }
            }
            cdt { (vm_cnode, 2) { (vm_tcb, 5) } }
            irq maps { 33: serial }
            """;

        private LoadedSpec LoadVm() => CapdlLoader.Load(_kernel, CapdlParser.Parse(Vm, "vm.cdl"), new CapdlLoaderOptions
        {
            Untypeds = [_boot[0], _boot[1]],
            IrqControl = _boot[2],
            ReadFile = name => name == "image.bin" ? [0xde, 0xad, 0xbe, 0xef, 0x42, 0x99] : throw new FileNotFoundException(name),
        });

        [Fact]
        public void LoadsObjectsCapsMappingsAndFills()
        {
            LoadedSpec l = LoadVm();
            _kernel.CheckInvariants();

            var cnode = (CNodeObject)l.Objects[new ObjectId("vm_cnode", null)];
            Assert.Equal(2UL, cnode[1].Cap!.Badge);
            Assert.Equal(CapRights.Write, cnode[1].Cap!.Rights);
            Assert.Equal(CapRights.Read | CapRights.Write | CapRights.Grant, cnode[2].Cap!.Rights);

            var tcb = (TcbObject)l.Objects[new ObjectId("vm_tcb", null)];
            Assert.Equal(60, tcb.Slots[TcbObject.CSpaceSlot].Cap!.GuardBits);
            Assert.Same(cnode[2], tcb.Slots[TcbObject.FaultEndpointSlot].Parent); // follows the spec's cdt
            Assert.Equal(9UL, tcb.Slots[TcbObject.FaultEndpointSlot].Cap!.Badge);

            var vspace = (VSpaceObject)l.Objects[new ObjectId("vm_vspace", null)];
            KernelObject ram1 = l.Objects[new ObjectId("ram", 1)];
            Assert.True(vspace.TryTranslate(0x4020_0010, out VSpaceTranslation t));
            Assert.Same(ram1, t.Object);
            Assert.Equal(PhysicalAddressSpace.Realm, t.AddressSpace);
            Assert.True(vspace.TryTranslate(0x4040_0000, out t));
            Assert.Equal(CapRights.Read | CapRights.Grant, t.Rights);
            byte[] buf = new byte[4];
            _memory.Read(t.PhysicalAddress + 0x10, buf);
            Assert.Equal(new byte[] { 0xad, 0xbe, 0xef, 0x42 }, buf);

            Assert.True(vspace.TryTranslate(0x4040_1000, out t));
            Assert.Equal(0x900_0000UL, t.PhysicalAddress);

            var vcpu = (VcpuObject)l.Objects[new ObjectId("vm_vcpu", null)];
            Assert.Same(vspace, vcpu.VSpace);

            KernelObject ep = l.Objects[new ObjectId("fault_ep", null)];
            Assert.Same(l.Objects[new ObjectId("pool", null)], ep.Source);

            Assert.True(_kernel.RaiseIrq(33));
            Assert.Equal(4UL, ((NotificationObject)l.Objects[new ObjectId("doorbell", null)]).Word);
        }

        [Fact]
        public void RevokingThePoolRemovesEverything()
        {
            LoadVm();
            int before = _kernel.LiveObjects.Count;
            _kernel.Revoke(_boot[0]);
            _kernel.Revoke(_boot[1]);
            Assert.True(_kernel.LiveObjects.Count < before);
            Assert.DoesNotContain(_kernel.LiveObjects, o => o.Source is not null);
            _kernel.CheckInvariants();
        }

        [Fact]
        public void ReportsWhatCannotBeLoaded()
        {
            var e = Assert.Throws<CapdlException>(() => CapdlLoader.Load(_kernel, CapdlParser.Parse(Vm.Replace("ram[2] = frame (2M)", "ram[2] = frame (64k)"), "vm.cdl"), new CapdlLoaderOptions { Untypeds = [_boot[0], _boot[1]] }));
            Assert.Contains("vm.cdl:", e.Message);
            Assert.Contains("4k and 2M", e.Message);

            const string big = "arch aarch64\nobjects { huge[64] = frame (2M) }";
            e = Assert.Throws<CapdlException>(() => CapdlLoader.Load(_kernel, CapdlParser.Parse(big), new CapdlLoaderOptions { Untypeds = [_boot[0]] }));
            Assert.Contains("no untyped memory left", e.Message);

            const string ext = "arch aarch64\nobjects { extern_ring = frame (4k) }";
            e = Assert.Throws<CapdlException>(() => CapdlLoader.Load(_kernel, CapdlParser.Parse(ext), new CapdlLoaderOptions { Untypeds = [_boot[0]] }));
            Assert.Contains("not provided by the platform", e.Message);
        }

        [Fact]
        public void ExternsComeFromThePlatform()
        {
            KernelObject ring = _kernel.Retype(_boot[0], ObjectType.Frame4K, 0, _boot, 10, 1)[0];
            const string text = """
                arch aarch64
                objects { extern_ring = frame (4k)  c = cnode (2 bits) }
                caps { c { 0: extern_ring (R) } }
                """;
            LoadedSpec l = CapdlLoader.Load(_kernel, CapdlParser.Parse(text), new CapdlLoaderOptions
            {
                Untypeds = [_boot[0]],
                Externs = new Dictionary<string, CSlot> { ["extern_ring"] = _boot[10] },
            });
            var c = (CNodeObject)l.Objects[new ObjectId("c", null)];
            Assert.Same(ring, c[0].Cap!.Object);
            Assert.Equal(CapRights.Read, c[0].Cap!.Rights);
        }
    }
}
