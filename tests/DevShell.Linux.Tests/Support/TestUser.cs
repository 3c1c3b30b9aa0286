using System.Diagnostics;

namespace DevShell.Linux.Tests.Support;

/// <summary>
/// A real non-root account for privilege-drop tests, created with useradd and removed with userdel. Tests launch
/// "as it would under sudo": SUDO_UID/SUDO_GID/SUDO_USER name this user while the process is root.
/// </summary>
public sealed class TestUser : IDisposable
{
    public TestUser()
    {
        Name = "dst" + Guid.NewGuid().ToString("N")[..8];
        Home = Path.Combine("/var/tmp", Name + "-home");
        Run("useradd", "--create-home", "--home-dir", Home, "--shell", "/bin/bash", "--user-group", Name);
        var id = Run("id", "-u", Name).Trim();
        Uid = int.Parse(id, System.Globalization.CultureInfo.InvariantCulture);
        Gid = int.Parse(Run("id", "-g", Name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public string Name { get; }
    public string Home { get; }
    public int Uid { get; }
    public int Gid { get; }

    public Dictionary<string, string?> SudoEnv => new()
    {
        ["SUDO_UID"] = Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SUDO_GID"] = Gid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SUDO_USER"] = Name,
    };

    public void Dispose()
    {
        try
        {
            Run("userdel", "--remove", Name);
        }
        catch (InvalidOperationException)
        {
        }
        if (Directory.Exists(Home)) Directory.Delete(Home, recursive: true);
    }

    internal static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000)) p.Kill();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {stderr}");
        return stdout;
    }
}
