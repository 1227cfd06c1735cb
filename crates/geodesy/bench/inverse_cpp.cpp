// Times GeographicLib C++ Geodesic::WGS84().Inverse per call over the cases read from stdin
// ("lat1 lon1 lat2 lon2" lines), the same cases and loop shape as benches/geodesic.rs.
#include <GeographicLib/Geodesic.hpp>
#include <chrono>
#include <cstdio>
#include <vector>
int main() {
  const GeographicLib::Geodesic& g = GeographicLib::Geodesic::WGS84();
  std::vector<double> v;
  double a, b, c, d;
  while (std::scanf("%lf %lf %lf %lf", &a, &b, &c, &d) == 4) { v.push_back(a); v.push_back(b); v.push_back(c); v.push_back(d); }
  const size_t n = v.size() / 4;
  volatile double sink = 0;
  double best = 1e300;
  for (int rep = 0; rep < 15; ++rep) {
    const int iters = 2000;
    auto t0 = std::chrono::steady_clock::now();
    for (int it = 0; it < iters; ++it) {
      double sum = 0;
      for (size_t i = 0; i < n; ++i) { double s12; g.Inverse(v[4*i], v[4*i+1], v[4*i+2], v[4*i+3], s12); sum += s12; }
      sink = sink + sum;
    }
    auto t1 = std::chrono::steady_clock::now();
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / (double(iters) * n);
    if (ns < best) best = ns;
  }
  std::printf("%zu cases, best of 15 runs: %.1f ns per inverse\n", n, best);
  return 0;
}
