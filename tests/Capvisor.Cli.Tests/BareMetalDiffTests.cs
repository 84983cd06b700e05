namespace Capvisor.Cli.Tests
{
    /// <summary>The diff the differential tests print on failure.</summary>
    public sealed class BareMetalDiffTests
    {
        [Fact]
        public void UnifiedDiffShowsChangedLinesWithContext()
        {
            var a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
            var b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n";
            Assert.Equal(
                "--- qemu\n+++ capvisor\n" +
                "@@ -2,9 +2,10 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n+11\n",
                BareMetalDiff.Unified(a, b, "qemu", "capvisor"));
        }

        [Fact]
        public void DistantChangesGetTheirOwnHunks()
        {
            var lines = Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var a = string.Join('\n', lines) + "\n";
            lines[1] = "two";
            lines[17] = "eighteen";
            var b = string.Join('\n', lines) + "\n";
            Assert.Equal(
                "--- q\n+++ c\n" +
                "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n" +
                "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n",
                BareMetalDiff.Unified(a, b, "q", "c"));
        }

        [Fact]
        public void FirstDifferenceNamesTheLine()
        {
            Assert.Equal("line 2:\n  qemu:     b\n  capvisor: <end of output>", BareMetalDiff.FirstDifference("a\nb\n", "a\n"));
            Assert.Equal("the transcripts are identical", BareMetalDiff.FirstDifference("a\n", "a\n"));
        }
    }
}
