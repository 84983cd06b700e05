using Capvisor.Caps.Analysis;
using Capvisor.Caps.CapDL;
using Capvisor.Caps.Kernel;
using Capvisor.Caps.Sdf;

namespace Capvisor.Caps.Tests.Sdf
{
    public class SdfCompilerTests
    {
        private static CapdlSpec Vmm() => SdfCompiler.CompileFile(Fixtures.Path("sdf", "vmm.system"));

        [Fact]
        public void CompilesProtectionDomainsVirtualMachinesAndChannels()
        {
            CapdlSpec s = Vmm();
            Assert.Equal(8, s.Resolve("mr_guest_ram").Count);
            Assert.Equal(21, s[new ObjectId("mr_guest_ram", 0)].SizeBits);
            Assert.Equal(0x900_0000UL, s[new ObjectId("mr_uart_0", null)].Paddr);
            Assert.Equal(new ObjectId("irq_33", null), s.IrqMap[33]);

            SpecObject client = s[new ObjectId("client_cnode", null)];
            Assert.Equal(new ObjectId("server_ntfn", null), client.Slots[10].Target);
            Assert.Equal(1UL << 3, client.Slots[10].Badge);
            Assert.Equal(CapRights.Write | CapRights.GrantReply, client.Slots[74].Rights); // PPC: no Grant

            SpecObject vcpuTcb = s[new ObjectId("linux_vcpu1_tcb", null)];
            Assert.Equal(new ObjectId("linux_vcpu1", null), vcpuTcb.Slots[TcbObject.BoundVcpuSlot].Target);
            Assert.Equal(new ObjectId("linux_vcpu1_tcb", null), s[new ObjectId("vmm_cnode", null)].Slots[267].Target);

            string printed = CapdlPrinter.Print(s);
            Assert.Equal(printed, CapdlPrinter.Print(CapdlParser.Parse(printed)));
        }

        [Fact]
        public void ChannelsCarryNoAuthorityButTheVmmReachesItsGuest()
        {
            CapdlSpec s = Vmm();
            Assert.False(AuthorityAnalysis.Check(s, "mr_guest_ram", "client_tcb").Reachable);
            Assert.False(AuthorityAnalysis.Check(s, "server_cnode", "client_tcb").Reachable);
            Assert.True(AuthorityAnalysis.Check(s, "mr_guest_ram", "vmm_tcb").Reachable);
            Assert.True(AuthorityAnalysis.Check(s, "linux_vcpu0", "vmm_tcb").Reachable);
            Assert.True(AuthorityAnalysis.Check(s, "mr_shared", "server_tcb").Reachable); // shared memory is mapped
        }

        [Fact]
        public void CompiledSystemLoads()
        {
            var memory = new SparsePhysicalMemory();
            var kernel = new CapKernel(memory);
            CNodeObject boot = kernel.CreateRootCNode(4);
            kernel.AddUntyped(boot[0], PhysicalAddressSpace.NonSecure, 0x4000_0000, 28);
            kernel.AddUntyped(boot[1], PhysicalAddressSpace.NonSecure, 0x0800_0000, 25, isDevice: true);
            kernel.CreateIrqControl(boot[2]);
            LoadedSpec l = CapdlLoader.Load(kernel, Vmm(), new CapdlLoaderOptions { Untypeds = [boot[0], boot[1]], IrqControl = boot[2] });
            kernel.CheckInvariants();
            var linux = (VSpaceObject)l.Objects[new ObjectId("linux_vspace", null)];
            var vmm = (VSpaceObject)l.Objects[new ObjectId("vmm_vspace", null)];
            Assert.True(linux.TryTranslate(0x4000_0000, out VSpaceTranslation a));
            Assert.True(vmm.TryTranslate(0x2000_0000, out VSpaceTranslation b));
            Assert.Equal(a.PhysicalAddress, b.PhysicalAddress); // the VMM sees guest RAM
            Assert.True(linux.TryTranslate(0x801_0000, out VSpaceTranslation gic));
            Assert.Equal(0x804_0000UL, gic.PhysicalAddress);
            Assert.Same(linux, ((VcpuObject)l.Objects[new ObjectId("linux_vcpu1", null)]).VSpace);
        }

        private const string Base = """
            <system>
              <memory_region name="ram" size="0x2000" />
              <protection_domain name="a" priority="10">
                <map mr="ram" vaddr="0x10000" />
              </protection_domain>
              <protection_domain name="b" priority="20" />
              <channel><end pd="a" id="1" /><end pd="b" id="1" /></channel>
            </system>
            """;

        [Theory]
        [InlineData("<map mr=\"ram\" vaddr=\"0x10000\" />", "<map mr=\"rom\" vaddr=\"0x10000\" />", 4, 5, "invalid memory region name 'rom' on 'map'")]
        [InlineData("<map mr=\"ram\" vaddr=\"0x10000\" />", "<map mr=\"ram\" vaddr=\"0x10000\" /><map mr=\"ram\" vaddr=\"0x11000\" />", 4, 37, "overlaps with map for 'ram' [0x10000..0x12000) in protection domain 'a'")]
        [InlineData("size=\"0x2000\"", "size=\"0x2100\"", 2, 3, "size is not a multiple of the page size on element 'memory_region'")]
        [InlineData("size=\"0x2000\"", "size=\"0x200000\" page_size=\"0x10000\"", 2, 3, "page size 0x10000 not supported")]
        [InlineData("size=\"0x2000\"", "size=\"0x200000\" page_size=\"0x200000\"", 4, 5, "invalid vaddr alignment on 'map'")]
        [InlineData("size=\"0x2000\"", "size=\"0x1000\" phys_addr=\"0x9000800\"", 2, 3, "phys_addr is not aligned to the page size")]
        [InlineData("<end pd=\"b\" id=\"1\" />", "<end pd=\"c\" id=\"1\" />", 7, 33, "invalid PD name 'c' on element 'end'")]
        [InlineData("<end pd=\"b\" id=\"1\" />", "<end pd=\"b\" id=\"62\" />", 7, 33, "id must be < 62")]
        [InlineData("<end pd=\"b\" id=\"1\" /></channel>", "</channel>", 7, 3, "exactly two end elements must be specified")]
        [InlineData("<protection_domain name=\"b\" priority=\"20\" />", "<protection_domain name=\"a\" priority=\"20\" />", 6, 3, "duplicate protection domain name 'a'")]
        [InlineData("priority=\"20\" />", "priority=\"255\" />", 6, 3, "priority must be between 0 and 254")]
        [InlineData("<map mr=\"ram\" vaddr=\"0x10000\" />", "<map mr=\"ram\" vaddr=\"0x10000\" perms=\"w\" />", 4, 5, "perms must not be 'w', write-only mappings are not allowed")]
        [InlineData("<map mr=\"ram\" vaddr=\"0x10000\" />", "<map mr=\"ram\" vaddr=\"0x10000\" colour=\"red\" />", 4, 35, "invalid attribute 'colour' on element 'map'")]
        [InlineData("<map mr=\"ram\" vaddr=\"0x10000\" />", "<map mr=\"ram\" />", 4, 5, "Missing required attribute 'vaddr' on element 'map'")]
        [InlineData("<map mr=\"ram\" vaddr=\"0x10000\" />", "<irq irq=\"40\" id=\"1\" />", 4, 5, "duplicate channel id: 1 in protection domain: 'a'")]
        [InlineData("<end pd=\"b\" id=\"1\" />", "<end pd=\"b\" id=\"1\" pp=\"true\" />", 7, 3, "PPCs must be to protection domains of strictly higher priorities")]
        [InlineData("<protection_domain name=\"b\" priority=\"20\" />", "<protection_domain name=\"b\" priority=\"20\"><virtual_machine name=\"vm\"><vcpu id=\"0\" /><vcpu id=\"0\" /></virtual_machine></protection_domain>", 6, 87, "duplicate vcpu id 0")]
        [InlineData("<protection_domain name=\"b\" priority=\"20\" />", "<virtual_machine name=\"vm\" />", 6, 3, "virtual machine must be a child of a protection domain")]
        public void InvalidDescriptionsAreReportedWithTheirPosition(string find, string replace, int line, int column, string message)
        {
            string xml = Base.Replace(find, replace);
            var e = Assert.Throws<CapdlException>(() => SdfCompiler.Compile(xml, "sys.xml"));
            Assert.Contains(message, e.Message);
            Assert.Equal(new SourceLocation("sys.xml", line, column), e.Location);
        }
    }
}
