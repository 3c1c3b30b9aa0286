namespace DevShell;

/// <summary>devshell's exit codes (documented in README.md). A command run in an env passes its own code through.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A runtime failure: a kernel call failed, a tool is broken.</summary>
    public const int Error = 1;

    /// <summary>Bad input: invalid profile, malformed JSON, bad flags. Nothing was written or created.</summary>
    public const int BadInput = 2;

    /// <summary>The profile or session does not exist.</summary>
    public const int NotFound = 3;

    /// <summary>Someone else changed the profile (revision conflict), or the name is taken.</summary>
    public const int Conflict = 4;

    /// <summary>The host lacks something the profile needs (root, a kernel feature, a tool); nothing was created.</summary>
    public const int HostUnsupported = 5;

    /// <summary>The database file is corrupted; see `devshell db recover`.</summary>
    public const int StoreCorrupted = 6;

    /// <summary>run --fail-on-violation: the command succeeded but a limit was violated.</summary>
    public const int Violation = 7;

    /// <summary>The env could not be set up (stage two failed before the command ran).</summary>
    public const int SetupFailed = 125;
}
