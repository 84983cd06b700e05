namespace Capvisor.Caps.Tests
{
    /// <summary>Paths of test data copied next to the test assembly.</summary>
    internal static class Fixtures
    {
        public static string Path(params string[] parts) =>
            System.IO.Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

        public static IEnumerable<string> RealSpecs() =>
            Directory.GetFiles(Path("sel4-capdl"), "*.cdl").OrderBy(f => f, StringComparer.Ordinal);
    }
}
