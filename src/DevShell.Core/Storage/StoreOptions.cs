using DevShell.Core.Validation;

namespace DevShell.Core.Storage;

/// <summary>Settings for <see cref="DevShellStore.Open"/>.</summary>
public sealed record StoreOptions
{
    /// <summary>After a successful open, refresh the .bak copy when it is older than this (or missing). Default 10 minutes.</summary>
    public TimeSpan BackupInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Whether opening refreshes a stale backup. Default true.</summary>
    public bool AutoBackup { get; init; } = true;

    /// <summary>Context for validating profiles before they are written; the DB path is always added.</summary>
    public ValidationContext Validation { get; init; } = ValidationContext.Default;

    /// <summary>How long a call waits for another process's store call to finish before failing. Default 60 s.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Clock for timestamps (tests may pin it).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
