using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Cnnc.Engine.Evaluation;

/// <summary>Settings of a <see cref="LatencyBenchmark"/> run. The defaults are those of <c>cnnc latency</c>.</summary>
public sealed record LatencyOptions
{
    /// <summary>Untimed runs first (allocator, kernels, caches). Default 3.</summary>
    public int WarmUp { get; init; } = 3;

    /// <summary>Timed runs at least. Default 10.</summary>
    public int MinRepetitions { get; init; } = 10;

    /// <summary>Timed runs at most. Default 1000 (a tiny model reaches the error bound long before).</summary>
    public int MaxRepetitions { get; init; } = 1000;

    /// <summary>
    /// Repeat until the 95 % confidence interval of the median (order statistics) is within ± this fraction of it.
    /// Default 0.03.
    /// </summary>
    public double TargetRelativeError { get; init; } = 0.03;

    /// <summary>Time cap of the timed runs of one figure (latency, then throughput). Default 3 s.</summary>
    public TimeSpan TimeCap { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The stated bound on the spread: an interquartile range above this fraction of the median makes the figure
    /// unreliable. Default 0.25.
    /// </summary>
    public double MaxRelativeSpread { get; init; } = 0.25;

    /// <summary>Images of the batched throughput run. Default 64 (0: no throughput run).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The options of the quick measurement an evaluation takes before its first chunk.</summary>
    public static LatencyOptions Evaluation { get; } = new() { WarmUp = 2, MinRepetitions = 5, TimeCap = TimeSpan.FromSeconds(1), MaxRepetitions = 300 };

    internal LatencyOptions Validate()
    {
        if (WarmUp < 0 || MinRepetitions < 3 || MaxRepetitions < MinRepetitions)
            throw new ArgumentException($"Latency: need WarmUp ≥ 0 and 3 ≤ MinRepetitions ≤ MaxRepetitions (got {WarmUp}, {MinRepetitions}, {MaxRepetitions}).");
        if (TargetRelativeError <= 0 || MaxRelativeSpread <= 0 || TimeCap <= TimeSpan.Zero || BatchSize < 0)
            throw new ArgumentException("Latency: TargetRelativeError, MaxRelativeSpread and TimeCap must be positive, BatchSize ≥ 0.");
        return this;
    }
}

/// <summary>How busy the machine was: the 1-minute load average and other runnable tasks, against the cores.</summary>
/// <param name="LoadAverage">/proc/loadavg's 1-minute figure (null where there is no /proc).</param>
/// <param name="OtherRunnable">The most tasks runnable besides the measuring thread, over the samples taken during the
/// measurement (/proc/stat's procs_running − 1; null where there is no /proc).</param>
/// <param name="ProcessorCount">Cores this process may use (<see cref="Environment.ProcessorCount"/>).</param>
public sealed record MachineLoad(double? LoadAverage, int? OtherRunnable, int ProcessorCount)
{
    /// <summary>
    /// Whether other work competed for the cores: at some sample, as many other tasks were runnable as there are cores
    /// (so the measuring thread, or libtorch's workers, had to share one).
    /// </summary>
    public bool Busy => OtherRunnable is { } others && others >= ProcessorCount;

    /// <summary>Reads the machine's load now.</summary>
    public static MachineLoad Now() => new(ReadLoadAverage(), ReadRunnable() is { } r ? Math.Max(0, r - 1) : null, Environment.ProcessorCount);

    internal static double? ReadLoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    internal static int? ReadRunnable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/stat"))
                if (line.StartsWith("procs_running ", StringComparison.Ordinal))
                    return int.Parse(line.AsSpan("procs_running ".Length), CultureInfo.InvariantCulture);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>Timed runs of one figure: median, quartiles and the median's 95 % error.</summary>
/// <param name="Median">Median milliseconds per run.</param>
/// <param name="LowerQuartile">25th percentile.</param>
/// <param name="UpperQuartile">75th percentile.</param>
/// <param name="RelativeError">Half-width of the median's 95 % confidence interval, as a fraction of the median.</param>
/// <param name="Repetitions">Timed runs.</param>
public sealed record LatencySample(double Median, double LowerQuartile, double UpperQuartile, double RelativeError, int Repetitions)
{
    /// <summary>Interquartile range over the median.</summary>
    public double RelativeSpread => Median > 0 ? (UpperQuartile - LowerQuartile) / Median : 0;

    /// <summary>The statistics of <paramref name="milliseconds"/> (at least 3 values).</summary>
    public static LatencySample Of(IReadOnlyList<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToArray();
        var n = sorted.Length;
        var median = Quantile(sorted, 0.5);
        // Distribution-free 95 % interval of the median: order statistics n/2 ± 1.96·√n/2.
        var half = 1.96 * Math.Sqrt(n) / 2;
        var lo = sorted[Math.Clamp((int)Math.Floor(n / 2.0 - half), 0, n - 1)];
        var hi = sorted[Math.Clamp((int)Math.Ceiling(n / 2.0 + half), 0, n - 1)];
        return new LatencySample(median, Quantile(sorted, 0.25), Quantile(sorted, 0.75),
            median > 0 ? (hi - lo) / 2 / median : 0, n);
    }

    private static double Quantile(double[] sorted, double q)
    {
        var at = q * (sorted.Length - 1);
        var below = (int)Math.Floor(at);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
    }
}

/// <summary>
/// Latency as a measurement: batch-1 latency and batched throughput of a model on a device, each after warm-up runs,
/// repeated until the median's error is within the bound (or the time cap), reported as median and quartiles with the
/// machine's load and libtorch's thread count. A figure is marked unreliable, with the reason, when other work competed
/// for the cores or the spread is above <see cref="LatencyOptions.MaxRelativeSpread"/>: a figure taken beside other
/// work can be many times the quiet one, and a tool that compares models by it must not present it as clean.
/// </summary>
public static class LatencyBenchmark
{
    /// <summary>
    /// Measures <paramref name="model"/> on <paramref name="single"/> (one image) and, when given, on
    /// <paramref name="batch"/> (a batch), both moved to <paramref name="device"/>; eval mode and inference mode are
    /// the caller's (the model is only called).
    /// </summary>
    public static InferenceTiming Measure(nn.Module<Tensor, Tensor> model, Tensor single, Tensor? batch, Device device,
        LatencyOptions? options = null, string source = InferenceTiming.MeasuredByLatency, CancellationToken cancellationToken = default)
    {
        Runtime.TorchRuntime.Initialize();
        options = (options ?? new LatencyOptions()).Validate();
        var loads = new List<int>();
        var loadAverage = MachineLoad.ReadLoadAverage();
        using var one = single.to(device);
        var latency = Time(model, one, options, loads, cancellationToken);
        double imagesPerSecond = 0;
        var batchSize = 0;
        if (batch is not null && options.BatchSize > 0)
        {
            using var many = batch.to(device);
            batchSize = (int)many.shape[0];
            // A batch averages over its images: a few runs bound it, and a large model's batch takes seconds.
            var batched = Time(model, many, options with
            {
                WarmUp = Math.Min(1, options.WarmUp), MinRepetitions = 3, MaxRepetitions = Math.Max(3, options.MaxRepetitions / 10),
            }, loads, cancellationToken);
            imagesPerSecond = batchSize / (batched.Median / 1000);
        }
        var load = new MachineLoad(MachineLoad.ReadLoadAverage() is { } after && loadAverage is { } before ? Math.Max(before, after) : loadAverage,
            loads.Count > 0 ? loads.Max() : null, Environment.ProcessorCount);
        var reasons = new List<string>();
        if (load.Busy)
            reasons.Add($"machine under load: {load.OtherRunnable} other runnable tasks on {load.ProcessorCount} cores" +
                        (load.LoadAverage is { } la ? $", load average {la.ToString("F1", CultureInfo.InvariantCulture)}" : ""));
        if (latency.RelativeSpread > options.MaxRelativeSpread)
            reasons.Add($"spread {Percent(latency.RelativeSpread)} of the median (interquartile), above the {Percent(options.MaxRelativeSpread)} bound");
        return new InferenceTiming(latency.Median, imagesPerSecond, batchSize, device.ToString())
        {
            Batch1LowerQuartileMs = latency.LowerQuartile,
            Batch1UpperQuartileMs = latency.UpperQuartile,
            RelativeError = latency.RelativeError,
            Repetitions = latency.Repetitions,
            LoadAverage = load.LoadAverage,
            OtherRunnable = load.OtherRunnable,
            ProcessorCount = load.ProcessorCount,
            TorchThreads = get_num_threads(),
            Reliable = reasons.Count == 0,
            UnreliableReason = reasons.Count == 0 ? null : string.Join("; ", reasons),
            MeasuredAt = DateTimeOffset.UtcNow,
            MeasuredBy = source,
        };
    }

    /// <summary>Warm-up, then timed runs until the median's error bound, the repetition limit or the time cap.</summary>
    internal static LatencySample Time(nn.Module<Tensor, Tensor> model, Tensor input, LatencyOptions options, List<int> loads,
        CancellationToken cancellationToken)
    {
        for (var i = 0; i < options.WarmUp; i++) Run(model, input);
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Sampled between runs, when libtorch's workers are idle: what is runnable then is someone else's.
            if (times.Count % 5 == 0 && MachineLoad.ReadRunnable() is { } runnable) loads.Add(Math.Max(0, runnable - 1));
            times.Add(Run(model, input));
            if (times.Count < options.MinRepetitions) continue;
            if (times.Count >= options.MaxRepetitions || clock.Elapsed >= options.TimeCap) break;
            if (times.Count % 5 == 0 && LatencySample.Of(times).RelativeError <= options.TargetRelativeError) break;
        }
        return LatencySample.Of(times);
    }

    private static double Run(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var clock = Stopwatch.StartNew();
        // .cpu() waits for the device, so the time includes the whole forward pass.
        model.call(input).cpu();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("F0", CultureInfo.InvariantCulture) + " %";
}
