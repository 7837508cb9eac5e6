using System.Globalization;
using System.Text;
using Cnnc.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Data;

/// <summary>
/// How an image becomes a model input, shared by evaluation and explanation: resize, center crop, channel conversion,
/// per-channel normalisation — torchvision's <c>Resize → CenterCrop → (Grayscale) → ToTensor → Normalize</c>.
/// Immutable; build variants with <c>with</c>. <see cref="Key"/> identifies it in caches.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Resize: <see cref="Interpolation"/> (bilinear or bicubic), antialiased when shrinking.
/// <see cref="ResizeShorterSide"/> scales the shorter side to the value and the longer to
/// <c>floor(value · long / short)</c> (torchvision's rule); <see cref="ResizeExact"/> sets both. Skipped when the image
/// already has that size. An 8-bit image (a <see cref="DecodedImage"/>, or a tensor whose values are all k/255, which
/// is what decoders give) is resized exactly as PIL resizes it for torchvision (<see cref="PillowResample"/>:
/// fixed-point passes rounded to 8 bits), then cropped, then divided by 255 and normalised: the result equals
/// <c>weights.transforms()(PIL.Image.open(f).convert("RGB"))</c> bit for bit (max |diff| measured 0 on 42 real
/// photographs × 2 presets, tests/fixtures/photographs.py). Other float tensors are resized in float
/// (<c>torch.nn.functional.interpolate</c>, <c>align_corners=false</c>, <see cref="Antialias"/>), torchvision's
/// tensor path.</item>
/// <item>Center crop: top = round((H − h)/2), left = round((W − w)/2) with round-half-to-even (Python's
/// <c>round</c>); an image smaller than the crop is first padded with zeros as torchvision does.</item>
/// <item>Channels: 1 → 3 replicates grey; 3 → 1 uses ITU-R 601-2 luma (0.299 R + 0.587 G + 0.114 B, PIL's
/// weights); null keeps the input's channels.</item>
/// <item>Normalisation: (x − mean[c]) / std[c]; a single mean/std applies to every channel; empty lists skip it.</item>
/// </list>
/// </remarks>
public sealed record Preprocessing
{
    private readonly IReadOnlyList<float> _mean = Array.Empty<float>();
    private readonly IReadOnlyList<float> _std = Array.Empty<float>();

    /// <summary>Scale so that the shorter side has this length (torchvision <c>Resize(int)</c>). Default null: no resize.</summary>
    public int? ResizeShorterSide { get; init; }

    /// <summary>Resize to exactly (Height, Width) (torchvision <c>Resize((h, w))</c>). Default null. Exclusive with <see cref="ResizeShorterSide"/>.</summary>
    public (int Height, int Width)? ResizeExact { get; init; }

    /// <summary>Center crop to (Height, Width). Default null: no crop.</summary>
    public (int Height, int Width)? CenterCrop { get; init; }

    /// <summary>Output channels: 1, 3, or null (default) to keep the input's.</summary>
    public int? Channels { get; init; }

    /// <summary>Per-channel mean subtracted after scaling to [0, 1]; one value or one per channel. Default empty: none.</summary>
    public IReadOnlyList<float> Mean { get => _mean; init => _mean = value.ToArray(); }

    /// <summary>Per-channel standard deviation divided by; same length as <see cref="Mean"/>. Default empty.</summary>
    public IReadOnlyList<float> Std { get => _std; init => _std = value.ToArray(); }

    /// <summary>Antialias when shrinking (as PIL and torchvision's <c>antialias=True</c>). Default true. PIL always
    /// antialiases, so 8-bit images ignore false.</summary>
    public bool Antialias { get; init; } = true;

    /// <summary>Resampling filter of the resize. Default <see cref="ResizeInterpolation.Bilinear"/> (torchvision's).</summary>
    public ResizeInterpolation Interpolation { get; init; } = ResizeInterpolation.Bilinear;

    /// <summary>torchvision's ImageNet mean (0.485, 0.456, 0.406).</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = new[] { 0.485f, 0.456f, 0.406f };

    /// <summary>torchvision's ImageNet standard deviation (0.229, 0.224, 0.225).</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = new[] { 0.229f, 0.224f, 0.225f };

    /// <summary>
    /// The standard ImageNet evaluation transform: resize shorter side to 256, center crop 224×224, 3 channels,
    /// <see cref="ImageNetMean"/> / <see cref="ImageNetStd"/>.
    /// </summary>
    public static Preprocessing ImageNet { get; } = new()
    {
        ResizeShorterSide = 256,
        CenterCrop = (224, 224),
        Channels = 3,
        Mean = ImageNetMean,
        Std = ImageNetStd,
    };

    /// <summary>
    /// Fashion-MNIST: 28×28 (resized exactly when the input differs), 1 channel, mean 0.2860, std 0.3530 (the
    /// training set's pixel statistics, checked by a test).
    /// </summary>
    public static Preprocessing FashionMnist { get; } = new()
    {
        ResizeExact = (28, 28),
        Channels = 1,
        Mean = new[] { 0.2860f },
        Std = new[] { 0.3530f },
    };

    /// <summary>A stable text identifying the transform, e.g. <c>resize256-crop224x224-c3-mean0.485,0.456,0.406-std…-aa</c>.</summary>
    public string Key
    {
        get
        {
            var key = new StringBuilder();
            if (ResizeShorterSide is { } s) key.Append("resize").Append(s).Append('-');
            if (ResizeExact is { } e) key.Append("resize").Append(e.Height).Append('x').Append(e.Width).Append('-');
            if (CenterCrop is { } c) key.Append("crop").Append(c.Height).Append('x').Append(c.Width).Append('-');
            key.Append('c').Append(Channels?.ToString(CultureInfo.InvariantCulture) ?? "keep");
            if (Mean.Count > 0)
            {
                key.Append("-mean").Append(string.Join(",", Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture))));
                key.Append("-std").Append(string.Join(",", Std.Select(m => m.ToString("R", CultureInfo.InvariantCulture))));
            }
            if ((ResizeShorterSide is not null || ResizeExact is not null) && Antialias) key.Append("-aa");
            if ((ResizeShorterSide is not null || ResizeExact is not null) && Interpolation != ResizeInterpolation.Bilinear)
                key.Append('-').Append(Interpolation.ToString().ToLowerInvariant());
            return key.ToString();
        }
    }

    /// <summary>Checks the settings; <see cref="Apply(Tensor)"/> calls it.</summary>
    /// <exception cref="ArgumentException">For inconsistent settings.</exception>
    public void Validate()
    {
        if (ResizeShorterSide is not null && ResizeExact is not null)
            throw new ArgumentException("Set ResizeShorterSide or ResizeExact, not both.");
        if (ResizeShorterSide is <= 0) throw new ArgumentException("ResizeShorterSide must be positive.");
        if (ResizeExact is { } e && (e.Height <= 0 || e.Width <= 0)) throw new ArgumentException("ResizeExact must be positive.");
        if (CenterCrop is { } c && (c.Height <= 0 || c.Width <= 0)) throw new ArgumentException("CenterCrop must be positive.");
        if (Channels is not (null or 1 or 3)) throw new ArgumentException("Channels must be 1, 3 or null.");
        if (Mean.Count != Std.Count) throw new ArgumentException($"Mean has {Mean.Count} values, Std {Std.Count}.");
        if (Std.Any(s => !(s > 0))) throw new ArgumentException("Std values must be positive.");
    }

    /// <summary>
    /// The shape (C, H, W) <see cref="Apply(Tensor)"/> produces for an input of the given shape.
    /// </summary>
    public (int Channels, int Height, int Width) OutputShape(int channels, int height, int width)
    {
        var (h, w) = ResizedSize(height, width);
        if (CenterCrop is { } c) (h, w) = (c.Height, c.Width);
        return (Channels ?? channels, h, w);
    }

    /// <summary>
    /// Applies the transform to one image, a float tensor C×H×W with values in [0, 1] (C = 1 or 3; as
    /// <see cref="IImageDataset.Load"/> gives), returning a new normalised tensor on the same device. The input is
    /// not modified or disposed.
    /// </summary>
    /// <exception cref="ArgumentException">For a tensor that is not a 1- or 3-channel floating-point C×H×W image.</exception>
    public Tensor Apply(Tensor image)
    {
        if (AsEightBit(image) is { } bytes) return Apply(bytes);
        using var scope = NewDisposeScope();
        var geometry = Geometry(image);
        return Normalize(geometry).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Applies the transform to an 8-bit image exactly as torchvision's PIL pipeline does (Pillow's resize, center crop,
    /// <c>ToTensor</c>, <c>Normalize</c>): a new float32 CPU tensor C×H×W.
    /// </summary>
    public Tensor Apply(DecodedImage image)
    {
        TorchRuntime.Initialize();
        var (c, h, w) = OutputShape(image.Channels, image.Height, image.Width);
        var values = new float[(long)c * h * w];
        ApplyInto(image, values);
        return torch.tensor(values, new long[] { c, h, w });
    }

    /// <summary>
    /// <see cref="Apply(DecodedImage)"/> into <paramref name="destination"/> (C×H×W floats of <see cref="OutputShape"/>),
    /// without a tensor: the batch loader writes each image straight into its batch.
    /// </summary>
    public void ApplyInto(DecodedImage image, Span<float> destination)
    {
        var geometry = Geometry(image);
        var plane = geometry.Width * geometry.Height;
        if (destination.Length != (long)geometry.Channels * plane)
            throw new ArgumentException($"Destination holds {destination.Length} values, the image needs {geometry.Channels * plane}.", nameof(destination));
        if (Mean.Count != 0 && Mean.Count != 1 && Mean.Count != geometry.Channels)
            throw new ArgumentException($"Normalisation has {Mean.Count} values for an image with {geometry.Channels} channels.", nameof(image));
        var pixels = geometry.Pixels;
        for (var ch = 0; ch < geometry.Channels; ch++)
        {
            // torchvision: ToTensor divides by 255, Normalize subtracts then divides, all in float32. The result depends
            // on the byte alone: a table of the 256 values gives the same floats.
            var table = ValueTable(ch);
            var span = destination.Slice(ch * plane, plane);
            var source = pixels.AsSpan(ch * plane, plane);
            for (var i = 0; i < span.Length; i++) span[i] = table[source[i]];
        }
    }

    private float[] ValueTable(int channel)
    {
        var table = new float[256];
        if (Mean.Count == 0)
            for (var b = 0; b < 256; b++) table[b] = b / 255f;
        else
        {
            float mean = Mean[Mean.Count == 1 ? 0 : channel], std = Std[Std.Count == 1 ? 0 : channel];
            for (var b = 0; b < 256; b++) table[b] = (b / 255f - mean) / std;
        }
        return table;
    }

    /// <summary>
    /// Resize, crop and channel conversion of an 8-bit image, as torchvision does on a PIL image: Pillow's resize
    /// (<see cref="PillowResample"/>), then the center crop (zero padding when the crop is larger), then grey to RGB by
    /// replication or RGB to grey by PIL's luma. A new image.
    /// </summary>
    public DecodedImage Geometry(DecodedImage image)
    {
        Validate();
        var (rh, rw) = ResizedSize(image.Height, image.Width);
        var (ch, cw) = CenterCrop is { } crop ? (crop.Height, crop.Width) : (rh, rw);
        // torchvision pads (zeros) a side that is smaller than the crop, then crops round((size − crop) / 2).
        int padTop = ch > rh ? (ch - rh) / 2 : 0, padLeft = cw > rw ? (cw - rw) / 2 : 0;
        int keptH = Math.Min(ch, rh), keptW = Math.Min(cw, rw);
        var y0 = ch > rh ? 0 : (int)Math.Round((rh - ch) / 2.0, MidpointRounding.ToEven);
        var x0 = cw > rw ? 0 : (int)Math.Round((rw - cw) / 2.0, MidpointRounding.ToEven);
        var kept = (rh, rw) == (image.Height, image.Width) && (x0, y0, keptW, keptH) == (0, 0, rw, rh)
            ? image.Pixels
            : PillowResample.Resize(image, rw, rh, Interpolation, (x0, y0, keptW, keptH));
        var channels = image.Channels;
        var pixels = kept;
        if ((keptH, keptW) != (ch, cw))
        {
            pixels = new byte[(long)channels * ch * cw];
            for (var c = 0; c < channels; c++)
                for (var y = 0; y < keptH; y++)
                    kept.AsSpan((c * keptH + y) * keptW, keptW).CopyTo(pixels.AsSpan(((c * ch) + y + padTop) * cw + padLeft, keptW));
        }
        var plane = ch * cw;
        if (Channels is { } wanted && wanted != channels)
        {
            var converted = new byte[(long)wanted * plane];
            if (wanted == 3)
                for (var c = 0; c < 3; c++) pixels.AsSpan(0, plane).CopyTo(converted.AsSpan(c * plane, plane));
            else
                for (var i = 0; i < plane; i++)
                    converted[i] = (byte)((pixels[i] * 19595 + pixels[plane + i] * 38470 + pixels[2 * plane + i] * 7471 + 0x8000) >> 16);
            return new DecodedImage(cw, ch, wanted, converted);
        }
        return new DecodedImage(cw, ch, channels, ReferenceEquals(pixels, image.Pixels) ? (byte[])pixels.Clone() : pixels);
    }

    /// <summary>
    /// The image as bytes when it is a CPU float C×H×W tensor (C = 1 or 3) whose values are all k/255 — what decoders
    /// and <see cref="DecodedImage.ToTensor"/> give; otherwise null.
    /// </summary>
    internal static DecodedImage? AsEightBit(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] is not (1 or 3) || image.dtype != ScalarType.Float32 || image.device_type != DeviceType.CPU)
            return null;
        using var scope = NewDisposeScope();
        var scaled = image.mul(255f);
        var rounded = scaled.round();
        if (rounded.min().item<float>() < 0 || rounded.max().item<float>() > 255 || (scaled - rounded).abs().max().item<float>() > 1e-3f)
            return null;
        var bytes = rounded.to_type(ScalarType.Byte).contiguous().data<byte>().ToArray();
        return new DecodedImage((int)image.shape[2], (int)image.shape[1], (int)image.shape[0], bytes);
    }

    /// <summary>
    /// Resize, crop and channel conversion without normalisation: the image as the model sees it, in [0, 1], for
    /// display and overlays. A new tensor; the input is not modified.
    /// </summary>
    public Tensor Geometry(Tensor image)
    {
        TorchRuntime.Initialize();
        Validate();
        if (AsEightBit(image) is { } bytes) return Geometry(bytes).ToTensor();
        if (image.dim() != 3 || image.shape[0] is not (1 or 3) || !torch.is_floating_point(image))
            throw new ArgumentException(
                $"Expected a float image C×H×W with C = 1 or 3, got {image.dtype} [{string.Join("x", image.shape)}].", nameof(image));
        using var scope = NewDisposeScope();
        var x = image;
        var (h, w) = ((int)image.shape[1], (int)image.shape[2]);
        var (rh, rw) = ResizedSize(h, w);
        if (rh != h || rw != w)
        {
            using var batch = x.unsqueeze(0);
            x = nn.functional.interpolate(batch, new long[] { rh, rw },
                mode: Interpolation == ResizeInterpolation.Bicubic ? InterpolationMode.Bicubic : InterpolationMode.Bilinear,
                align_corners: false, antialias: Antialias).squeeze(0);
            (h, w) = (rh, rw);
        }
        if (CenterCrop is { } crop && (crop.Height != h || crop.Width != w))
        {
            if (crop.Height > h || crop.Width > w)
            {
                // torchvision: pad (left, top, right, bottom) with zeros, then crop.
                var left = crop.Width > w ? (crop.Width - w) / 2 : 0;
                var top = crop.Height > h ? (crop.Height - h) / 2 : 0;
                var right = crop.Width > w ? (crop.Width - w + 1) / 2 : 0;
                var bottom = crop.Height > h ? (crop.Height - h + 1) / 2 : 0;
                x = nn.functional.pad(x, new long[] { left, right, top, bottom }, PaddingModes.Constant, 0);
                (h, w) = (h + top + bottom, w + left + right);
            }
            var y0 = (int)Math.Round((h - crop.Height) / 2.0, MidpointRounding.ToEven);
            var x0 = (int)Math.Round((w - crop.Width) / 2.0, MidpointRounding.ToEven);
            x = x.narrow(1, y0, crop.Height).narrow(2, x0, crop.Width);
        }
        var inChannels = (int)x.shape[0];
        if (Channels is { } channels && channels != inChannels)
        {
            if (channels == 3)
                x = x.expand(3, -1, -1);
            else
            {
                using var weights = torch.tensor(new[] { 0.299f, 0.587f, 0.114f }, x.dtype, x.device).view(3, 1, 1);
                x = (x * weights).sum(0, keepdim: true);
            }
        }
        return x.contiguous().clone().MoveToOuterDisposeScope();
    }

    /// <summary>Normalises an image or batch (channels at dim −3) with <see cref="Mean"/>/<see cref="Std"/>; a new tensor.</summary>
    public Tensor Normalize(Tensor image)
    {
        if (Mean.Count == 0) return image.clone();
        using var scope = NewDisposeScope();
        var (mean, std) = Statistics(image);
        return ((image - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>Undoes <see cref="Normalize"/> (x · std + mean); a new tensor.</summary>
    public Tensor Denormalize(Tensor image)
    {
        if (Mean.Count == 0) return image.clone();
        using var scope = NewDisposeScope();
        var (mean, std) = Statistics(image);
        return (image * std + mean).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Applies the transform to every image and stacks the results into one N×C×H×W tensor (all outputs must have the
    /// same shape, which a crop or exact resize guarantees). Inputs are not disposed.
    /// </summary>
    /// <exception cref="ArgumentException">For no images or differing output shapes.</exception>
    public Tensor Stack(IEnumerable<Tensor> images)
    {
        using var scope = NewDisposeScope();
        var outputs = images.Select(Apply).ToList();
        if (outputs.Count == 0) throw new ArgumentException("No images to stack.", nameof(images));
        var shape = outputs[0].shape;
        var odd = outputs.FindIndex(o => !o.shape.SequenceEqual(shape));
        if (odd >= 0)
            throw new ArgumentException(
                $"Image {odd} becomes [{string.Join("x", outputs[odd].shape)}], image 0 [{string.Join("x", shape)}]; add a center crop or exact resize.",
                nameof(images));
        return torch.stack(outputs).MoveToOuterDisposeScope();
    }

    /// <summary>Loads items of a dataset, applies the transform and stacks them (N×C×H×W); each loaded image is disposed.</summary>
    /// <exception cref="ImageDecodeException">When an item cannot be loaded.</exception>
    public Tensor Stack(IImageDataset dataset, IEnumerable<int> indices)
    {
        using var scope = NewDisposeScope();
        var images = indices.Select(dataset.Load).ToList();
        return Stack(images).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public bool Equals(Preprocessing? other) =>
        other is not null && ResizeShorterSide == other.ResizeShorterSide && ResizeExact == other.ResizeExact &&
        CenterCrop == other.CenterCrop && Channels == other.Channels && Antialias == other.Antialias &&
        Interpolation == other.Interpolation &&
        Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    /// <inheritdoc />
    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);

    private (int Height, int Width) ResizedSize(int h, int w)
    {
        if (ResizeExact is { } e) return (e.Height, e.Width);
        if (ResizeShorterSide is not { } size) return (h, w);
        // torchvision: the shorter side becomes `size`, the longer int(size * long / short).
        return h <= w ? (size, (int)((long)size * w / h)) : ((int)((long)size * h / w), size);
    }

    private (Tensor Mean, Tensor Std) Statistics(Tensor image)
    {
        var channels = image.shape[^3];
        if (Mean.Count != 1 && Mean.Count != channels)
            throw new ArgumentException($"Normalisation has {Mean.Count} values for an image with {channels} channels.", nameof(image));
        var mean = torch.tensor(Mean.ToArray(), image.dtype, image.device).view(-1, 1, 1);
        var std = torch.tensor(Std.ToArray(), image.dtype, image.device).view(-1, 1, 1);
        return (mean, std);
    }
}
