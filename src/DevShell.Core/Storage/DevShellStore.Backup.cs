using System.Globalization;
using LiteDB;

namespace DevShell.Core.Storage;

public sealed partial class DevShellStore
{
    /// <summary>
    /// Refreshes the .bak copy when it is missing or older than the backup interval (or always, with <paramref name="force"/>).
    /// The file is checkpointed and copied in one unit of work (holding the cross-process lock), then the copy is opened on
    /// its own and checked, and only then moved over the old .bak.
    /// </summary>
    /// <returns>True if a new backup was written.</returns>
    public bool Backup(bool force = false)
    {
        if (!force && !BackupDue())
        {
            return false;
        }

        var backup = BackupPath;
        var directory = Path.GetDirectoryName(DbPath)!;
        var temp = Path.Combine(directory, $".{Path.GetFileNameWithoutExtension(DbPath)}-backup-{Environment.ProcessId}.db");
        try
        {
            Locked(() =>
            {
                // Inside a batch the log may hold this unit's commits: move them into the data file first.
                Db.Checkpoint();
                File.Copy(DbPath, temp, overwrite: true);
                if (File.Exists(LogPathFor(DbPath)))
                {
                    File.Copy(LogPathFor(DbPath), LogPathFor(temp), overwrite: true);
                }
            });

            using (var copy = new LiteDatabase(new ConnectionString { Filename = temp, Connection = ConnectionType.Direct }))
            {
                copy.Checkpoint();
                _ = copy.GetCollectionNames().ToList();
                _ = copy.GetCollection(ProfilesCollection).Count();
            }

            SetPrivateMode(temp);
            File.Move(temp, backup, overwrite: true);
            return true;
        }
        finally
        {
            File.Delete(temp);
            File.Delete(LogPathFor(temp));
        }
    }

    /// <summary>
    /// Restores the .bak copy over a damaged database: the damaged file (and its log) is moved aside as
    /// devshell.db.corrupt-&lt;UTC time&gt; and the backup copied in place. Run it when no devshell process is using the database.
    /// </summary>
    /// <returns>Where the damaged file was moved (null if there was none).</returns>
    /// <exception cref="StoreException">There is no backup to restore.</exception>
    public static string? Recover(string dbPath, TimeProvider? clock = null)
    {
        dbPath = Path.GetFullPath(dbPath);
        var backup = BackupPathFor(dbPath);
        if (!File.Exists(backup))
        {
            throw new StoreException($"no backup to recover {dbPath} from ({backup} does not exist); move the damaged file away to start with an empty database");
        }

        var stamp = (clock ?? TimeProvider.System).GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        using var fileLock = new StoreFileLock(LockPathFor(dbPath), TimeSpan.FromSeconds(60));
        fileLock.Enter();
        try
        {
            return Restore(dbPath, backup, stamp);
        }
        finally
        {
            fileLock.Exit();
        }
    }

    private static string? Restore(string dbPath, string backup, string stamp)
    {
        string? movedTo = null;
        if (File.Exists(dbPath))
        {
            movedTo = $"{dbPath}.corrupt-{stamp}";
            File.Move(dbPath, movedTo);
        }

        if (File.Exists(LogPathFor(dbPath)))
        {
            File.Move(LogPathFor(dbPath), $"{LogPathFor(dbPath)}.corrupt-{stamp}");
        }

        File.Copy(backup, dbPath);
        SetPrivateMode(dbPath);
        new ProfileSnapshots(dbPath).Clear(); // copies of the damaged file's profiles (the restored file is a new file too)
        return movedTo;
    }

    /// <summary>Whether the .bak copy is missing or older than the backup interval.</summary>
    private bool BackupDue()
    {
        var backup = BackupPath;
        return !File.Exists(backup) || Now() - File.GetLastWriteTimeUtc(backup) >= _options.BackupInterval;
    }

    /// <summary>LiteDB's write-ahead log next to a data file: "x.db" → "x-log.db".</summary>
    internal static string LogPathFor(string dbPath) =>
        Path.Combine(Path.GetDirectoryName(dbPath)!, Path.GetFileNameWithoutExtension(dbPath) + "-log" + Path.GetExtension(dbPath));
}
