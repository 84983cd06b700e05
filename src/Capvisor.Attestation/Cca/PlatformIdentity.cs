using System.Security.Cryptography;
using System.Text;
using Capvisor.Attestation.Keys;

namespace Capvisor.Attestation.Cca
{
    /// <summary>
    /// The emulated platform's attestation identity: its CPAK (P-384, created once and kept in a
    /// state directory) and the implementation and instance IDs its platform tokens carry.
    /// </summary>
    public sealed class PlatformIdentity : IDisposable
    {
        /// <summary>Name of the CPAK file (PKCS #8 PEM, mode 0600) in the state directory.</summary>
        public const string KeyFileName = "cpak.pem";

        private PlatformIdentity(ECDsa cpak, string path)
        {
            Cpak = cpak;
            KeyPath = path;
            var point = cpak.ExportParameters(false).Q;

            // PSA/CCA instance ID: UEID type RAND (0x01) followed by the hash of the attestation
            // public key, so that verifiers can find the key from the token.
            InstanceId = [0x01, .. SHA256.HashData([0x04, .. point.X!, .. point.Y!])];
        }

        /// <summary>Environment variable naming the state directory.</summary>
        public const string StateDirVariable = "CAPVISOR_STATE_DIR";

        /// <summary>
        /// The state directory when none is given: <c>$CAPVISOR_STATE_DIR</c>, else
        /// <c>$XDG_STATE_HOME/capvisor</c>, else <c>~/.local/state/capvisor</c>. Shared by the CLI and
        /// the RMM so that both find the same CPAK.
        /// </summary>
        /// <param name="environment">Reads an environment variable; the process environment by default.</param>
        /// <returns>The directory, or null when there is no home directory to put it in.</returns>
        public static string? DefaultStateDirectory(Func<string, string?>? environment = null)
        {
            environment ??= Environment.GetEnvironmentVariable;
            if (environment(StateDirVariable) is { Length: > 0 } explicitDir)
            {
                return Path.GetFullPath(explicitDir);
            }

            if (environment("XDG_STATE_HOME") is { Length: > 0 } xdg)
            {
                return Path.Combine(Path.GetFullPath(xdg), "capvisor");
            }

            var home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return home.Length == 0 ? null : Path.Combine(home, ".local", "state", "capvisor");
        }

        /// <summary>
        /// The implementation ID of every Capvisor platform: it names the implementation (this
        /// software), not the machine, so it is a constant.
        /// </summary>
        public static byte[] ImplementationId { get; } = SHA256.HashData(Encoding.ASCII.GetBytes("Capvisor emulated Arm CCA platform, v1"));

        /// <summary>The platform attestation key (with its private part).</summary>
        public ECDsa Cpak { get; }

        /// <summary>Where the key is stored.</summary>
        public string KeyPath { get; }

        /// <summary>The 33-byte instance ID: 0x01 ‖ SHA-256(0x04 ‖ X ‖ Y) of the CPAK.</summary>
        public byte[] InstanceId { get; }

        /// <summary>
        /// Loads the CPAK from <paramref name="stateDirectory"/>, creating the directory (mode 0700)
        /// and the key (mode 0600, written to a temporary file and renamed, so that a crash or a
        /// concurrent creator never leaves a partial key) when there is none.
        /// </summary>
        /// <param name="stateDirectory">The state directory.</param>
        /// <param name="created">Whether this call created the key.</param>
        /// <exception cref="AttestationFormatException">The existing key file is not a usable P-384 private key.</exception>
        /// <exception cref="IOException">The directory or file cannot be used.</exception>
        public static PlatformIdentity LoadOrCreate(string stateDirectory, out bool created)
        {
            var path = Path.Combine(stateDirectory, KeyFileName);
            created = false;
            if (!File.Exists(path))
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(stateDirectory);
                }
                else
                {
                    Directory.CreateDirectory(stateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }

                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
                var temp = Path.Combine(stateDirectory, $".{KeyFileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                try
                {
                    var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                    if (!OperatingSystem.IsWindows())
                    {
                        options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    }

                    using (var stream = new FileStream(temp, options))
                    {
                        stream.Write(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n"));
                        stream.Flush(flushToDisk: true);
                    }

                    // No overwrite: if another process created the key meanwhile, its key wins.
                    File.Move(temp, path, overwrite: false);
                    created = true;
                }
                catch (IOException) when (File.Exists(path))
                {
                }
                finally
                {
                    File.Delete(temp);
                }
            }

            return Load(stateDirectory);
        }

        /// <summary>Loads the CPAK from <paramref name="stateDirectory"/>.</summary>
        /// <exception cref="FileNotFoundException">There is no key yet.</exception>
        /// <exception cref="AttestationFormatException">The key file is not a usable P-384 private key.</exception>
        public static PlatformIdentity Load(string stateDirectory)
        {
            var path = Path.Combine(stateDirectory, KeyFileName);
            var key = EcKeyFile.Load(File.ReadAllText(path));
            if (!EcKeyFile.HasPrivateKey(key) || key.KeySize != 384)
            {
                key.Dispose();
                throw new AttestationFormatException($"{path} is not a P-384 private key");
            }

            return new PlatformIdentity(key, path);
        }

        /// <summary>
        /// Platform claims describing this platform (RMM 1.0 profile, lifecycle "secured"), with
        /// the given software components; the challenge is left for the signer to fill in.
        /// </summary>
        public PlatformClaims CreateClaims(IReadOnlyList<SoftwareComponent> softwareComponents, byte[] config) => new()
        {
            Profile = CcaProfiles.Platform,
            ImplementationId = ImplementationId,
            InstanceId = InstanceId,
            Config = config,
            Lifecycle = PlatformLifecycle.Secured,
            SoftwareComponents = softwareComponents,
            HashAlgorithm = "sha-256",
        };

        /// <summary>Releases the key.</summary>
        public void Dispose() => Cpak.Dispose();
    }
}
