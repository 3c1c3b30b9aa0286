using DevShell.Core.Networking;
using DevShell.Core.Profiles;
using DevShell.Core.Sessions;
using DevShell.Core.Storage;
using DevShell.Linux.Identity;
using DevShell.Linux.Launch;
using DevShell.Linux.Launch.Parts;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// A NetworkPart over a real store, with a test bridge, nft table, subnet and run dir of its own, driven the way the
/// launcher drives it (session recorded, Prepare, marked running; Teardown, marked ended). Dispose removes it all.
/// </summary>
internal sealed class PartLab : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _dir = Path.Combine("/var/tmp", "dsnetpart-" + NetTestNames.Hex());
    private readonly Developer _developer = Developer.Resolve(new Dictionary<string, string?>(), 0, 0);
    private readonly HashSet<string> _running = [];

    public PartLab(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_dir);
        Names = new NetworkNames(NetTestNames.Bridge(), NetTestNames.NftTable(), Path.Combine(_dir, "run"), Ipv4Cidr.Parse(NetTestNames.Subnet24()));
        Store = DevShellStore.Open(Path.Combine(_dir, "devshell.db"));
        Part = new NetworkPart(Store, Names);
    }

    public NetworkNames Names { get; }

    public DevShellStore Store { get; }

    public NetworkPart Part { get; }

    public static Profile Profile(string name, Action<NetworkSpec>? network = null)
    {
        var spec = new NetworkSpec { Mode = "bridge" };
        network?.Invoke(spec);
        return new Profile { Name = name, Shell = "/bin/sh", Network = spec };
    }

    /// <summary>Starts the network part of an env; <paramref name="phase"/> sees each traced phase.</summary>
    public EnvContext Start(Profile profile, Action<string>? phase = null)
    {
        var env = new EnvContext(SessionRecord.NewId(), profile, _developer) { Phase = phase };
        Store.AddSession(new SessionRecord { Id = env.SessionId, Profile = profile.Name, State = SessionState.Starting });
        _running.Add(env.SessionId);
        try
        {
            Part.Reserve(env); // in the launch's first store unit, before any phase is traced
            Part.Prepare(env);
        }
        catch
        {
            Stop(env.SessionId); // as the launcher does
            throw;
        }

        Store.UpdateSession(env.SessionId, s =>
        {
            s.State = SessionState.Running;
            s.Ip = env.Ip;
            s.Veth = env.Veth;
            s.NetnsPath = env.NetnsPath;
        });
        return env;
    }

    public bool Stop(string sessionId)
    {
        bool clean = Part.Teardown(sessionId);
        Store.UpdateSession(sessionId, s => s.State = SessionState.Exited, releaseIp: true);
        _running.Remove(sessionId);
        return clean;
    }

    /// <summary>Forgets a started env as a launcher killed with -9 would: nothing ends it or releases its lease.</summary>
    public void Forget(string sessionId) => _running.Remove(sessionId);

    public void Dispose()
    {
        foreach (string id in _running.ToList())
        {
            Stop(id);
        }

        Part.Down();
        Store.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException e)
        {
            _output.WriteLine($"cleanup: {e.Message}");
        }
    }
}
