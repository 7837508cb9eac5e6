using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Zoo;

/// <summary>Progress of a training run.</summary>
public sealed record TrainingProgress(
    string Model, int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double ImagesPerSecond, TimeSpan Eta);

/// <summary>Trains one zoo model from a <see cref="ZooRecipe"/>. Deterministic for a given seed and thread count.</summary>
public static class ZooTrainer
{
    /// <summary>
    /// Trains a fresh model. <paramref name="images"/>: float32 [N, 1, 28, 28] in [0, 1] (as
    /// <see cref="Data.IdxDataset.LoadBatch"/> gives them); <paramref name="labels"/>: int64 [N]. Inputs are normalised
    /// with <see cref="ZooCatalog.Preprocessing"/>, the transform evaluation uses. Returns the model in eval mode on the CPU.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Train(
        ZooRecipe recipe, Tensor images, Tensor labels,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        recipe.Validate();
        if (images.dtype != ScalarType.Float32 || images.dim() != 4 || images.shape[1] != 1 ||
            images.shape[2] != ZooRecipe.ImageSize || images.shape[3] != ZooRecipe.ImageSize)
            throw new ArgumentException($"images must be float32 [N, 1, 28, 28] (got {images.dtype} [{string.Join(", ", images.shape)}]).");
        if (labels.shape[0] != images.shape[0]) throw new ArgumentException("images and labels differ in count.");

        manual_seed(recipe.Seed);
        var random = new Random(recipe.Seed);
        var model = Models.ArchitectureCatalog.Create(recipe.Architecture, recipe.Options);
        if (recipe.BatchNormMomentum is { } momentum)
            foreach (var module in model.modules())
                if (module is TorchSharp.Modules.BatchNorm norm) norm.momentum = momentum;
        var count = Math.Min(recipe.TrainImages, (int)images.shape[0]);
        var subset = Enumerable.Range(0, (int)images.shape[0]).OrderBy(_ => random.Next()).Take(count).ToArray();

        var stepsPerEpoch = (count + recipe.BatchSize - 1) / recipe.BatchSize;
        var totalSteps = (long)stepsPerEpoch * recipe.Epochs;
        optim.Optimizer optimizer = recipe.Optimizer switch
        {
            ZooOptimizer.AdamW => optim.AdamW(model.parameters(), recipe.MaxLearningRate, weight_decay: recipe.WeightDecay),
            _ => optim.SGD(model.parameters(), recipe.MaxLearningRate, momentum: 0.9, weight_decay: recipe.WeightDecay, nesterov: true),
        };
        var scheduler = optim.lr_scheduler.OneCycleLR(optimizer, recipe.MaxLearningRate, total_steps: (int)totalSteps);
        var clock = Stopwatch.StartNew();
        long step = 0;
        model.train();
        for (var epoch = 1; epoch <= recipe.Epochs; epoch++)
        {
            var order = subset.OrderBy(_ => random.Next()).ToArray();
            for (var start = 0; start < order.Length; start += recipe.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batchIndices = order.AsSpan(start, Math.Min(recipe.BatchSize, order.Length - start)).ToArray();
                double lossValue;
                using (NewDisposeScope())
                {
                    using var index = tensor(batchIndices.Select(i => (long)i).ToArray());
                    var x = Augment(images.index_select(0, index), random);
                    var y = labels.index_select(0, index);
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(x), y);
                    loss.backward();
                    optimizer.step();
                    scheduler.step();
                    lossValue = loss.item<float>();
                }
                step++;
                if (progress is not null && (step % 20 == 0 || step == totalSteps))
                {
                    var perSecond = step * (double)recipe.BatchSize / clock.Elapsed.TotalSeconds;
                    var eta = TimeSpan.FromSeconds((totalSteps - step) * recipe.BatchSize / Math.Max(perSecond, 1e-9));
                    progress.Report(new TrainingProgress(recipe.Name, epoch, recipe.Epochs, step, totalSteps, lossValue, perSecond, eta));
                }
            }
        }
        model.eval();
        return model;
    }

    /// <summary>Random shifts of up to 2 pixels (zero padding) and horizontal flips, then normalisation.</summary>
    private static Tensor Augment(Tensor batch, Random random)
    {
        const int pad = 2;
        var b = batch.shape[0];
        using var padded = nn.functional.pad(batch, new long[] { pad, pad, pad, pad });
        var crops = new Tensor[b];
        for (var i = 0; i < b; i++)
        {
            var dy = random.Next(2 * pad + 1);
            var dx = random.Next(2 * pad + 1);
            var crop = padded[i].narrow(1, dy, ZooRecipe.ImageSize).narrow(2, dx, ZooRecipe.ImageSize);
            crops[i] = random.Next(2) == 1 ? crop.flip(2) : crop;
        }
        return ZooCatalog.Preprocessing.Normalize(stack(crops));
    }
}
