using DevShell.Core.Events;
using DevShell.Core.Sessions;
using DevShell.Core.Validation;
using LiteDB;

namespace DevShell.Core.Storage;

/// <summary>
/// DevShell's database: profiles, sessions, events, IP leases and meta values in one LiteDB file, always opened with
/// <c>Connection=shared</c> so several devshell processes (the TUI, CLI verbs, launchers) can use it at once
/// (LiteDB's direct mode loses writes across processes). Every read-compare-write runs inside one LiteDB transaction,
/// which in shared mode holds LiteDB's cross-process mutex, so two processes cannot both win a conflict or an address.
/// Only validated profiles are ever written. Instances are safe to share between threads (calls are serialized).
/// </summary>
public sealed partial class DevShellStore : IProfileStore, IDisposable
{
    private const string ProfilesCollection = "profiles";
    private const string SessionsCollection = "sessions";
    private const string EventsCollection = "events";
    private const string LeasesCollection = "leases";
    private const string MetaCollection = "meta";

    private readonly LiteDatabase _db;
    private readonly Lock _gate = new();
    private readonly StoreOptions _options;
    private readonly ValidationContext _validation;
    private readonly StoreFileLock _fileLock;

    private DevShellStore(string dbPath, LiteDatabase db, StoreOptions options)
    {
        DbPath = dbPath;
        _db = db;
        _fileLock = new StoreFileLock(LockPathFor(dbPath), options.LockTimeout);
        _options = options;
        _validation = options.Validation with { DbPath = dbPath };
    }

    /// <summary>Absolute path of the database file.</summary>
    public string DbPath { get; }

    /// <summary>Path of the backup copy: the DB path plus ".bak".</summary>
    public string BackupPath => BackupPathFor(DbPath);

    /// <summary>The validation context used for every profile written.</summary>
    public ValidationContext ValidationContext => _validation;

    /// <summary>Path of the cross-process lock file: the DB path plus ".lock" (see <see cref="StoreFileLock"/>).</summary>
    public string LockPath => LockPathFor(DbPath);

    /// <summary>Lock file path for a DB path.</summary>
    public static string LockPathFor(string dbPath) => dbPath + ".lock";

    /// <summary>Backup path for a DB path.</summary>
    public static string BackupPathFor(string dbPath) => dbPath + ".bak";

    /// <summary>
    /// Opens (creating if needed) the database at <paramref name="dbPath"/>. A directory it creates gets mode 0700 and the
    /// file gets 0600. After a successful open a stale or missing backup is refreshed (see <see cref="StoreOptions.BackupInterval"/>).
    /// </summary>
    /// <exception cref="StoreCorruptedException">The file is not a readable LiteDB database.</exception>
    /// <exception cref="StoreException">The file or directory cannot be accessed.</exception>
    public static DevShellStore Open(string dbPath, StoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dbPath);
        options ??= new StoreOptions();
        dbPath = Path.GetFullPath(dbPath);
        var directory = Path.GetDirectoryName(dbPath)!;
        LiteDatabase? db = null;
        try
        {
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            db = new LiteDatabase(new ConnectionString { Filename = dbPath, Connection = ConnectionType.Shared }, CreateMapper());
            var store = new DevShellStore(dbPath, db, options);
            store.Initialize();
            SetPrivateMode(dbPath);
            if (options.AutoBackup)
            {
                store.Backup(force: false);
            }

            return store;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException && e is not FileNotFoundException)
        {
            db?.Dispose();
            throw new StoreException($"cannot open the DevShell database {dbPath}: {e.Message} (check the owner and permissions of {directory})", e);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            db?.Dispose();
            throw new StoreCorruptedException(dbPath, e);
        }
    }

    /// <summary>Closes the database.</summary>
    public void Dispose()
    {
        _db.Dispose();
        _fileLock.Dispose();
    }

    /// <summary>Reads a meta value (e.g. the bridge subnet), or null.</summary>
    public string? GetMeta(string key) => Locked(() => _db.GetCollection(MetaCollection).FindById(key)?["value"].AsString);

    /// <summary>Sets a meta value.</summary>
    public void SetMeta(string key, string value) =>
        Locked(() => _db.GetCollection(MetaCollection).Upsert(new BsonDocument { ["_id"] = key, ["value"] = value }));

    /// <summary>Returns the meta value, first setting it to <paramref name="value"/> if absent (atomic across processes).</summary>
    public string GetOrAddMeta(string key, string value) =>
        InTransaction(() =>
        {
            var meta = _db.GetCollection(MetaCollection);
            if (meta.FindById(key) is { } existing)
            {
                return existing["value"].AsString;
            }

            meta.Insert(new BsonDocument { ["_id"] = key, ["value"] = value });
            return value;
        });

    private void Initialize()
    {
        // One transaction: in shared mode each separate call would open and close the file again.
        InTransaction(() =>
        {
            // Reading the header, every collection page and the (small) profile and lease documents proves the file is usable.
            _ = _db.GetCollectionNames().ToList();
            _db.GetCollection(LeasesCollection).EnsureIndex("session", unique: true);
            _db.GetCollection(EventsCollection).EnsureIndex(RecordDocuments.EventSessionField);
            _db.GetCollection(SessionsCollection).EnsureIndex(RecordDocuments.SessionStateField);
            _ = _db.GetCollection(ProfilesCollection).FindAll().Select(FromDocument).Count();
            _ = _db.GetCollection(LeasesCollection).FindAll().Count();
            _ = _db.GetCollection(SessionsCollection).Count();
            _ = _db.GetCollection(EventsCollection).Count();
            return 0;
        });
    }

    /// <summary>Runs <paramref name="work"/> in one LiteDB transaction (holding the cross-process lock); rolls back on error.</summary>
    private T InTransaction<T>(Func<T> work) =>
        Locked(() =>
        {
            if (!_db.BeginTrans())
            {
                throw new InvalidOperationException("a store transaction is already running on this thread");
            }

            try
            {
                var result = work();
                _db.Commit();
                return result;
            }
            catch
            {
                _db.Rollback();
                throw;
            }
        });

    /// <summary>Runs <paramref name="work"/> under the in-process and cross-process locks; engine faults from a damaged file become <see cref="StoreCorruptedException"/>.</summary>
    private T Locked<T>(Func<T> work)
    {
        lock (_gate)
        {
            _fileLock.Enter();
            try
            {
                return work();
            }
            catch (Exception e) when (IsCorruption(e))
            {
                throw new StoreCorruptedException(DbPath, e);
            }
            finally
            {
                _fileLock.Exit();
            }
        }
    }

    private void Locked(Action work) => Locked(() =>
    {
        work();
        return 0;
    });

    private DateTime Now() => _options.Clock.GetUtcNow().UtcDateTime;

    /// <summary>Records are mapped by hand (<see cref="RecordDocuments"/>); the mapper only converts plain values.</summary>
    private static BsonMapper CreateMapper() => new()
    {
        // Defaults would trim strings and turn "" into null: keep values exactly as given.
        TrimWhitespace = false,
        EmptyStringToNull = false,
        SerializeNullValues = false,
    };

    private static void SetPrivateMode(string path)
    {
        if (File.Exists(path))
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>
    /// Faults that mean the file is damaged: LiteDB's internal consistency checks (code 0), format and page errors,
    /// low-level read failures while decoding pages, and stored profile JSON that no longer parses.
    /// </summary>
    private static bool IsCorruption(Exception e) =>
        e switch
        {
            LiteException lite => lite.ErrorCode is 0 or LiteException.INVALID_DATABASE or LiteException.INVALID_DATAFILE_STATE
                or LiteException.INVALID_FREE_SPACE_PAGE or LiteException.NOT_ENCRYPTED or LiteException.INVALID_PASSWORD
                or LiteException.INVALID_FORMAT,
            InvalidCastException or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException
                or NullReferenceException or EndOfStreamException or NotSupportedException or FormatException
                or Validation.ProfileFormatException => true,
            _ => false,
        };
}
