namespace Capvisor.Cli.Tests
{
    /// <summary>The Linux guest assets made by scripts/guest-assets.sh (kernel Image and initramfs).</summary>
    internal static class GuestAssets
    {
        /// <summary>
        /// Finds the assets. Without them a test passes vacuously, unless
        /// CAPVISOR_REQUIRE_GUEST_ASSETS=1 (the test command fetches them and sets it): then it fails.
        /// </summary>
        public static bool TryFind(out string kernel, out string initrd)
        {
            string dir = Environment.GetEnvironmentVariable("CAPVISOR_GUEST_DIR")
                ?? Path.Combine(BareMetalRunner.RepoRoot, ".cache", "guest");
            kernel = Path.Combine(dir, "Image");
            initrd = Path.Combine(dir, "initramfs.cpio.gz");
            if (File.Exists(kernel) && File.Exists(initrd))
            {
                return true;
            }

            Assert.True(Environment.GetEnvironmentVariable("CAPVISOR_REQUIRE_GUEST_ASSETS") != "1",
                $"guest assets missing in {dir}: run scripts/guest-assets.sh");
            return false;
        }
    }
}
