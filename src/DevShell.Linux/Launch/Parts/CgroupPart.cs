using DevShell.Core.Units;
using DevShell.Linux.Cgroups;

namespace DevShell.Linux.Launch.Parts;

/// <summary>
/// The env's cgroup, named after the session under the DevShell parent. Every env gets one, limited or not: it
/// accounts usage, and it is how stop and gc find and kill every process of an env.
/// </summary>
public sealed class CgroupPart(ICgroupDriver driver) : IEnvironmentPart
{
    public ICgroupDriver Driver { get; } = driver;

    public string Name => "cgroup";

    public void Prepare(EnvContext env)
    {
        var handle = Driver.Create(env.SessionId, LimitsOf(env.Profile.Limits));
        env.CgroupDirs.AddRange(handle.Directories);
        foreach (var (controller, path) in handle.Paths) env.CgroupPaths[controller] = path;
    }

    public bool Teardown(string sessionId)
    {
        var handle = Driver.Open(sessionId);
        return handle is null || Driver.TryRemove(handle, TimeSpan.FromSeconds(5), killRemaining: true);
    }

    public IEnumerable<string> FindSessions()
    {
        foreach (var group in Driver.ListGroups()) yield return group.Name;
    }

    public static CgroupLimits LimitsOf(Core.Profiles.LimitsSpec limits) => new(
        MemoryBytes: limits.Memory is null ? null : Size.Parse(limits.Memory),
        SwapBytes: limits.Swap is null ? null : Size.Parse(limits.Swap),
        CpuCores: limits.Cpu,
        Pids: limits.Pids,
        IoWeight: limits.IoWeight);
}
