using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DevShell.Core.Profiles;
using DevShell.Linux.Identity;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Launch;

/// <summary>Where the launcher finds its tools and keeps its runtime files.</summary>
public sealed record LauncherPaths(string Stage2, string Unshare, string Nsenter, string RunDir)
{
    public string SpecFile(string sessionId) => Path.Combine(RunDir, "sessions", sessionId + ".spec");

    /// <summary>Finds stage two next to the devshell binary (or $DEVSHELL_STAGE2) and the util-linux tools on PATH.</summary>
    public static LauncherPaths Discover(string? runDir = null)
    {
        return new LauncherPaths(Stage2Path(), Spawner.Which("unshare") ?? "/usr/bin/unshare",
            Spawner.Which("nsenter") ?? "/usr/bin/nsenter",
            runDir ?? Environment.GetEnvironmentVariable("DEVSHELL_RUN_DIR") ?? "/run/devshell");
    }

    /// <summary>Stage two: $DEVSHELL_STAGE2, or devshell-stage2 next to the devshell binary.</summary>
    public static string Stage2Path() =>
        Environment.GetEnvironmentVariable("DEVSHELL_STAGE2") is { Length: > 0 } s ? s
            : Path.Combine(AppContext.BaseDirectory, "devshell-stage2");
}

/// <summary>Records the life of sessions (the CLI wires it to the LiteDB store).</summary>
public interface ISessionJournal
{
    void Starting(EnvContext env, LaunchRequest request, int launcherPid);
    void Running(EnvContext env, int initPid);
    void Ended(string sessionId, string state, int? exitCode, string? message);

    /// <summary><see cref="Ended"/> plus an event of kind <paramref name="state"/>; a store journal writes both at once.</summary>
    void Ended(string sessionId, string profile, string state, int? exitCode, string message, long? value)
    {
        Ended(sessionId, state, exitCode, message);
        Record(sessionId, profile, state, message, value);
    }

    /// <summary>
    /// The session is recorded and every part has made its store reservations (<see cref="IEnvironmentPart.Reserve"/>):
    /// the launch's last store call before its first kernel object. A store journal ends its first unit of work here.
    /// </summary>
    void Reserved()
    {
    }

    /// <summary>
    /// <see cref="Running"/> and <see cref="Ended(string, string, string, int?, string, long?)"/> at once, for an env that
    /// ended before its Running record was due (see <see cref="Launcher.RunningRecordDelayMs"/>); a store journal makes
    /// it one write.
    /// </summary>
    void RanAndEnded(EnvContext env, int initPid, string state, int exitCode, string message)
    {
        Running(env, initPid);
        Ended(env.SessionId, env.Profile.Name, state, exitCode, message, exitCode);
    }

    /// <summary>The shell exited but other processes keep the env running; the launcher no longer owns it.</summary>
    void Detached(string sessionId);
    void Record(string sessionId, string profile, string kind, string message, long? value = null, long? limit = null);
}

/// <summary>How a launch ended.</summary>
public sealed record LaunchOutcome(string SessionId, int ExitCode, bool Lingering, IReadOnlyList<string> Errors,
    IReadOnlyList<(string Phase, double Ms)> Phases);

/// <summary>A launch failed before the shell ran; nothing of the env is left behind.</summary>
public sealed class LaunchException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Builds an env and runs a shell or command in it. The sequence: record the session; let each part create its
/// kernel objects (cgroup, network, ...); write the spec; spawn <c>unshare ... devshell-stage2 init</c> with the
/// spec on fd 4 and a status pipe on fd 3; relay the terminal or wait; tear everything down when the env ends.
/// A failure at any step tears down what was made, in reverse order.
/// </summary>
public sealed class Launcher(LauncherPaths paths, IReadOnlyList<IEnvironmentPart> parts, ISessionJournal journal)
{
    public LauncherPaths Paths { get; } = paths;

    public SessionClaims Claims { get; } = new(paths.RunDir);

    /// <summary>Names the database a claim belongs to (shown to whoever finds it).</summary>
    public string Owner { get; init; } = "";

    /// <summary>
    /// How long a command (`devshell run`) runs before its session is recorded as running, with its PID 1, cgroups and
    /// address. Until then `ps` shows it as starting, and stop, attach and gc find its PID 1 in its claim. Short enough
    /// that nobody looks sooner; long enough that a quick check (`run P -- true` is ~40 ms) writes its Running and Ended
    /// records as one change, queued in the store's outbox with a store journal (no store unit of its own).
    /// </summary>
    public int RunningRecordDelayMs { get; init; } = DefaultRunningRecordDelayMs;

    /// <summary>The default of <see cref="RunningRecordDelayMs"/>; DEVSHELL_RUNNING_RECORD_DELAY_MS overrides it (for tests).</summary>
    public const int DefaultRunningRecordDelayMs = 200;

    /// <summary>How long a command runs before its spec file, which `devshell attach` reads, is written (a shell's at once).</summary>
    public const int AttachSpecDelayMs = 100;

    /// <summary>Optional hook called every ~250 ms while the env runs (usage sampling, violation checks).</summary>
    public Action<EnvContext>? OnTick { get; set; }

    /// <summary>Optional hook called once when the command has exited, before the teardown; <see cref="OnTick"/> if unset.</summary>
    public Action<EnvContext>? OnEnd { get; set; }

    /// <summary>
    /// 8 random hex digits from /dev/urandom. Not RandomNumberGenerator: on Linux it is OpenSSL's RAND_bytes, and loading
    /// libssl, libcrypto and openssl.cnf for 4 bytes cost a launch several ms (nothing else on the launch path uses OpenSSL).
    /// </summary>
    public static string NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[4];
        using (var urandom = File.OpenHandle("/dev/urandom"))
        {
            if (RandomAccess.Read(urandom, bytes, 0) != bytes.Length) throw new IOException("short read from /dev/urandom");
        }
        return Convert.ToHexStringLower(bytes);
    }

    /// <param name="early">stage two started before the launch (see <see cref="EarlyInit"/>): adopted if it fits, else killed.</param>
    public LaunchOutcome Launch(Profile profile, Developer dev, LaunchRequest request, IReadOnlyDictionary<string, string?> hostEnv,
        string? sessionId = null, EarlyInit? early = null)
    {
        var clock = Stopwatch.StartNew();
        var phases = new List<(string, double)>();
        void Mark(string phase)
        {
            phases.Add((phase, clock.Elapsed.TotalMilliseconds));
            clock.Restart();
        }

        var env = new EnvContext(sessionId ?? NewSessionId(), profile, dev) { Phase = Mark };
        // Before any kernel object: a launcher killed at any later moment leaves a claim that the next launch's cheap
        // reconcile pass (and gc) finds, and that keeps other processes' gc off this session's objects meanwhile.
        Claims.Claim(env.SessionId, Environment.ProcessId, Owner);
        foreach (var part in parts) part.Begin(env);
        // Stage two starts now, as PID 1 of the env's namespaces, and waits for its spec (see PendingInit): its start
        // overlaps everything up to Run. Its flags are known: a part that makes the env's netns names it in Begin.
        // One started early for this launch, with no part that works on the spawning thread, is taken instead.
        int flags = LaunchPlanner.NamespaceFlags(profile, env.NetnsPath is not null);
        PendingInit? adopted = env.NetnsPath is null ? early?.Adopt(Paths.Stage2, flags, request) : null;
        early?.Dispose();
        PendingInit started;
        try
        {
            started = adopted ?? PendingInit.Start(Paths.Stage2, flags, request, EnvironmentList(),
                before: () =>
                {
                    foreach (var part in parts) part.OnSpawnThread(env);
                });
        }
        catch
        {
            Teardown(env.SessionId, parts);
            throw;
        }

        using var init = started;
        // A failure from here on: stage two goes first (it has done nothing in the env yet), then every part, in reverse
        // (one that has not prepared may have begun).
        void Abandon()
        {
            init.Abort();
            Teardown(env.SessionId, parts);
        }

        // The session's record, and the parts' reservations (the IP lease), in the launch's one store unit before the
        // spawn (see Engine.Launch), which ends at Reserved; or queued in the store's outbox when it needs no unit.
        try
        {
            journal.Starting(env, request, Environment.ProcessId);
        }
        catch
        {
            journal.Reserved();
            Abandon();
            throw;
        }

        try
        {
            try
            {
                foreach (var part in parts) part.Reserve(env);
            }
            finally
            {
                journal.Reserved();
            }

            Mark("record");
            foreach (var part in parts)
            {
                part.Prepare(env);
                Mark(part.Name);
            }
        }
        catch (Exception e)
        {
            Abandon();
            journal.Ended(env.SessionId, profile.Name, "failed", null, e.Message, null);
            throw;
        }

        try
        {
            var spec = LaunchPlanner.BuildSpec(profile, dev, env.SessionId, request, env.Resources, hostEnv);
            return Run(env, spec, request, init, phases, Mark);
        }
        catch (Exception e) when (e is not LaunchException)
        {
            Abandon();
            journal.Ended(env.SessionId, "failed", null, e.Message);
            throw;
        }
    }

    private LaunchOutcome Run(EnvContext env, LaunchSpec spec, LaunchRequest request, PendingInit pending, List<(string, double)> phases, Action<string> mark)
    {
        string text = spec.Serialize();
        int init = pending.Go(text); // PID 1 of the env, this process's child
        mark("spawn");
        // For `devshell attach`, which starts its stage two from the env's spec. A shell's is written now, while stage two
        // builds the env; a command's once it has run AttachSpecDelayMs: one that ends sooner (most CI checks) never
        // needs it, and its launch neither writes nor removes a file for it (~0.5 ms here).
        var pty = pending.Pty;
        bool specWritten = false;
        void WriteAttachSpec()
        {
            if (specWritten) return;
            WriteSpec(Paths.SpecFile(env.SessionId), text);
            specWritten = true;
        }
        if (pty is not null) WriteAttachSpec();
        mark("spec");

        int statusRead = pending.StatusRead;
        var status = new StatusState(statusRead);
        using var signals = request.Tty ? null : new SignalForwarder(init);
        Task? running = null;
        bool runningWritten = false;
        try
        {
            status.WaitReady();
            mark("stage2");
            if (!status.Ready)
            {
                int rc = pending.Wait();
                Teardown(env.SessionId, parts);
                string why = status.Errors.Count > 0 ? string.Join("; ", status.Errors) : $"stage two ended with code {rc} before the shell started";
                journal.Ended(env.SessionId, env.Profile.Name, "failed", rc, why, null);
                throw new LaunchException($"profile \"{env.Profile.Name}\": could not start the environment: {why}", rc > 0 ? rc : StatusProtocol.SetupFailedExitCode);
            }

            Claims.SetInit(env.SessionId, init);
            if (pty is not null)
            {
                // A shell: recorded as running while it starts (a store write is a few ms), finished before it ends.
                running = Task.Run(() => journal.Running(env, init));
                pty.Run(statusRead, line => status.Handle(line), OnTick is null ? null : () => OnTick(env));
            }
            else
            {
                // A command: recorded as running once it has run for RunningRecordDelayMs. One that ends sooner (most
                // CI steps that only check something) gets its Running and Ended records in one write at the end.
                long due = Environment.TickCount64 + RunningRecordDelayMs;
                long specDue = Environment.TickCount64 + AttachSpecDelayMs;
                while (!status.Exited && !status.Eof)
                {
                    long next = runningWritten ? long.MaxValue : due;
                    if (!specWritten) next = Math.Min(next, specDue);
                    int wait = next == long.MaxValue ? 250 : (int)Math.Clamp(next - Environment.TickCount64, 0, 250);
                    if (status.Pump(wait)) continue;
                    long now = Environment.TickCount64;
                    if (!specWritten && now >= specDue)
                    {
                        WriteAttachSpec();
                        if (now < due) continue; // an extra wake-up, not a tick
                    }
                    if (!runningWritten && now >= due)
                    {
                        runningWritten = true;
                        journal.Running(env, init);
                    }
                    OnTick?.Invoke(env);
                }
            }
            mark("run");
            (OnEnd ?? OnTick)?.Invoke(env); // a last reading before teardown: counters of the final moments, the memory peak
            mark("sample");

            // After the shell exits, PID 1 either exits or says other processes keep the env alive ("linger N"). Its
            // exit shows as EOF: it is the only holder of the status pipe (close-on-exec in everything it starts).
            var lingerDeadline = Environment.TickCount64 + 2000;
            while (!status.Lingering && !status.Eof && Environment.TickCount64 < lingerDeadline) status.Pump(100);
        }
        finally
        {
            pending.Dispose(); // the status pipe's read end, and the terminal
            try
            {
                running?.Wait();
                runningWritten |= running is not null;
            }
            catch (AggregateException e)
            {
                runningWritten = true; // attempted: the record stays as the store has it
                status.Errors.Add($"recording the session as running failed: {e.InnerException?.Message}");
            }
        }

        int code = status.ExitCode ?? -1;
        if (status.Lingering)
        {
            WriteAttachSpec();
            if (!runningWritten) journal.Running(env, init);
            Claims.MarkDetached(env.SessionId);
            journal.Detached(env.SessionId);
            journal.Record(env.SessionId, env.Profile.Name, "detached", $"the shell exited; {status.LingerCount} process(es) keep the env running");
            return new LaunchOutcome(env.SessionId, code, true, status.Errors, phases);
        }

        // PID 1 is reaped before the teardown: when it has exited, the kernel has killed and reaped everything in its
        // PID namespace, so the cgroup can go.
        _ = pending.Wait();
        mark("exit");
        if (code < 0)
        {
            // PID 1 ended without reporting: it was SIGKILLed (devshell stop, or from outside).
            code = 128 + 9;
            status.Errors.Add("the env was killed (devshell stop, or its PID 1 was killed from outside)");
        }
        // After the teardown: the end record releases the session's IP lease. A store journal only queues it (its
        // outbox, applied by a later unit), so it costs ~0.5 ms here.
        Teardown(env.SessionId, parts, ended: true);
        mark("teardown");
        string message = $"exit code {code.ToString(CultureInfo.InvariantCulture)}";
        if (runningWritten) journal.Ended(env.SessionId, env.Profile.Name, "exited", code, message, code);
        else journal.RanAndEnded(env, init, "exited", code, message);
        mark("ended");
        return new LaunchOutcome(env.SessionId, code, false, status.Errors, phases);
    }

    /// <summary>
    /// Opens a second shell inside a running env: stage two joins the env's cgroups on the host side, then
    /// nsenter enters its namespaces (by its PID 1) and runs the payload with the same privilege drop.
    /// </summary>
    public int Attach(string sessionId, IReadOnlyCollection<string> namespaces, int initPid, bool tty, IReadOnlyList<string> command)
    {
        string original = Paths.SpecFile(sessionId);
        // A command's spec is written once it has run AttachSpecDelayMs (see Run): an attach sooner waits for it.
        long deadline = Environment.TickCount64 + AttachSpecDelayMs + 1000;
        while (!File.Exists(original) && Environment.TickCount64 < deadline) Thread.Sleep(10);
        if (!File.Exists(original)) throw new LaunchException($"session {sessionId} has no launch spec at {original}; it was not started by this host's devshell", 1);
        var spec = LaunchSpec.Parse(File.ReadAllText(original));
        spec.Tty = tty;
        spec.OnEnter = null;
        spec.OnExit = null;
        spec.Argv.Clear();
        if (command.Count > 0) spec.Argv.AddRange(command);
        else spec.Argv.Add(spec.Env.FirstOrDefault(e => e.StartsWith("SHELL=", StringComparison.Ordinal))?[6..] ?? "/bin/sh");
        string attachSpec = Paths.SpecFile(sessionId + ".attach-" + NewSessionId());
        WriteSpec(attachSpec, spec.Serialize());
        try
        {
            // nsenter runs stage two INSIDE the env's mount namespace, where its path may be hidden (a private /tmp,
            // a rootfs): hand it over as an open file on fd 6 and exec /proc/self/fd/6 instead.
            var argv = LaunchPlanner.NsenterArgs(namespaces, initPid, Paths.Stage2, $"/proc/self/fd/{StatusProtocol.Stage2Fd}", Paths.Nsenter);
            using var pty = tty ? PtyRelay.Open() : null;
            var (statusRead, statusWrite) = Spawner.Pipe("the status pipe");
            int specFd = OpenSpec(attachSpec);
            int stage2Fd = OpenSpec(Paths.Stage2);
            int pid;
            try
            {
                var (i, o, e) = pty is not null ? (pty.Slave, pty.Slave, pty.Slave) : (0, 1, 2);
                pid = Spawner.Spawn(Paths.Stage2, argv, EnvironmentList(),
                    [(0, i), (1, o), (2, e), (StatusProtocol.StatusFd, statusWrite), (StatusProtocol.SpecFd, specFd), (StatusProtocol.Stage2Fd, stage2Fd)], newProcessGroup: true);
            }
            finally
            {
                Libc.close(statusWrite);
                Libc.close(specFd);
                Libc.close(stage2Fd);
                pty?.CloseSlave();
            }
            var status = new StatusState(statusRead);
            if (pty is not null) pty.Run(statusRead, line => { status.Handle(line); return false; });
            else status.WaitReady();
            Libc.close(statusRead);
            int code = Spawner.Wait(pid);
            if (status.Errors.Count > 0 && code >= StatusProtocol.SetupFailedExitCode)
            {
                throw new LaunchException($"could not attach to session {sessionId}: {string.Join("; ", status.Errors)}", code);
            }
            return code;
        }
        finally
        {
            File.Delete(attachSpec);
        }
    }

    /// <summary>Tears down every part of a session in reverse order; true when all of it is gone.</summary>
    /// <param name="ended">the env ended normally and its PID 1 is reaped (see <see cref="IEnvironmentPart.TeardownEnded"/>).</param>
    public bool Teardown(string sessionId, IEnumerable<IEnvironmentPart>? which = null, bool ended = false)
    {
        bool clean = true;
        foreach (var part in (which ?? parts).Reverse())
        {
            try
            {
                clean &= ended ? part.TeardownEnded(sessionId) : part.Teardown(sessionId);
            }
            catch (Exception e) when (e is SyscallException or IOException or UnauthorizedAccessException)
            {
                clean = false;
                journal.Record(sessionId, "", "teardown_failed", $"{part.Name}: {e.Message}");
            }
        }
        try
        {
            File.Delete(Paths.SpecFile(sessionId));
            if (clean) Claims.Release(sessionId);
        }
        catch (IOException)
        {
            clean = false;
        }
        return clean;
    }

    private static void WriteSpec(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var fs = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        fs.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }

    private static unsafe int OpenSpec(string path)
    {
        fixed (byte* p = Check.Z(path))
        {
            return Check.Fd(Libc.open(p, Libc.O_RDONLY | Libc.O_CLOEXEC, 0), "open", $"opening the launch spec {path}");
        }
    }

    /// <summary>
    /// The environment of the unshare/stage-two processes: a minimal, fixed one (the shell's is in the spec). LANG=C:
    /// util-linux calls setlocale, and C.UTF-8 costs it two dozen file lookups on every launch (~0.5 ms here) for
    /// messages that are English either way.
    /// </summary>
    internal static List<string> EnvironmentList() => ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"];

    /// <summary>
    /// devshell run: Ctrl-C and termination signals go to the command's process group inside the env (PID 1's child,
    /// which leads its own group).
    /// </summary>
    private sealed class SignalForwarder : IDisposable
    {
        private readonly List<PosixSignalRegistration> _registrations = [];

        public SignalForwarder(int init)
        {
            foreach (var (signal, number) in new[] { (PosixSignal.SIGINT, Libc.SIGINT), (PosixSignal.SIGTERM, Libc.SIGTERM), (PosixSignal.SIGHUP, Libc.SIGHUP), (PosixSignal.SIGQUIT, Libc.SIGQUIT) })
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
                {
                    ctx.Cancel = true;
                    if (ProcessInfo.FirstChild(init) is int group) Libc.kill(-group, number);
                }));
            }
        }

        public void Dispose()
        {
            foreach (var r in _registrations) r.Dispose();
        }
    }

    /// <summary>What stage two said on the status pipe so far, and the reader of that pipe.</summary>
    private sealed unsafe class StatusState(int fd)
    {
        private readonly LineBuffer _lines = new();
        private readonly byte[] _buf = new byte[4096];

        public bool Ready;
        public bool Eof;

        public bool Exited;
        public bool Lingering;
        public int LingerCount;
        public int? ExitCode;
        public List<string> Errors { get; } = [];

        /// <summary>Reads until stage two is ready, has failed, or is gone.</summary>
        public void WaitReady()
        {
            while (!Ready && !Eof && !Exited) Pump(-1);
        }

        /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever) for status, handles what arrived; false on a timeout.</summary>
        public bool Pump(int timeoutMs)
        {
            PollFd pfd = new() { Fd = fd, Events = Libc.POLLIN };
            int r = Libc.poll(&pfd, 1, timeoutMs);
            if (r == 0) return false;
            if (r < 0) return true; // EINTR (a forwarded signal): the caller loops
            int n;
            fixed (byte* p = _buf)
            {
                n = Check.Read(fd, p, _buf.Length);
            }
            if (n <= 0)
            {
                Eof = true;
                return true;
            }
            foreach (var line in _lines.Add(_buf.AsSpan(0, n))) Handle(line);
            return true;
        }

        /// <summary>Returns true when the main process has exited.</summary>
        public bool Handle(string line)
        {
            var f = line.Split(' ', 4);
            switch (f[0])
            {
                case StatusProtocol.Ready: Ready = true; break;
                case StatusProtocol.Error: Errors.Add(f.Length > 3 ? $"{f[3]} (step {f[1]})" : line); break;
                case StatusProtocol.Hook: Errors.Add($"the {f[1]} hook failed with exit code {f[2]}"); break;
                case StatusProtocol.Exit: Exited = true; ExitCode = int.Parse(f[1], CultureInfo.InvariantCulture); break;
                case StatusProtocol.Signal: Exited = true; ExitCode = 128 + int.Parse(f[1], CultureInfo.InvariantCulture); break;
                case "linger": Lingering = true; LingerCount = int.Parse(f[1], CultureInfo.InvariantCulture); break;
                default: break;
            }
            return Exited;
        }
    }
}
