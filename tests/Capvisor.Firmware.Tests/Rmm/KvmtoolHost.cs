using Capvisor.Firmware.Hypervisor;
using Capvisor.Firmware.Rmm;
using Capvisor.Firmware.Tests.Hypervisor;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// The production kvmtool-cca sequence (<see cref="RealmBuilder"/>) over an <see cref="RmmHarness"/>,
    /// with the call shapes the RMM tests use (granule lists back from Populate, X0 = DTB).
    /// </summary>
    public sealed class KvmtoolHost
    {
        private readonly RealmBuilder _builder;

        public KvmtoolHost(RmmHarness harness, HostWriter? hostWrite = null)
        {
            var host = new HarnessHost(harness, hostWrite);
            _builder = new RealmBuilder(host, host);
        }

        public RealmBuilder Builder => _builder;

        public ulong Rd => _builder.Rd;

        public IReadOnlyList<ulong> Recs => _builder.Recs;

        public void CreateRealm(int ipaBits, MeasurementAlgorithm algorithm, byte[]? rpv = null) =>
            _builder.CreateRealm(new RealmConfig { IpaBits = ipaBits, Algorithm = algorithm, Rpv = rpv ?? new byte[64] });

        public void InitRipas(ulong baseIpa, ulong topIpa) => _builder.InitRipas(baseIpa, topIpa);

        /// <summary>Populates like kvmtool (64 KiB rounded, measured); returns the granules' contents.</summary>
        public List<(ulong Ipa, byte[] Granule)> Populate(ulong ipa, byte[] content)
        {
            _builder.Populate(ipa, content);
            return HarnessHost.PopulatedGranules(ipa, content);
        }

        public RecParams CreateRecs(int vcpus, ulong pc, ulong dtb) => _builder.CreateRecs(vcpus, pc, [dtb]);

        public void Activate() => _builder.Activate();
    }
}
