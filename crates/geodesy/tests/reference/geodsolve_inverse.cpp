// Reads "lat1 lon1 lat2 lon2" lines on stdin and prints "s12 azi1 azi2" with GeographicLib's C++
// Geodesic::WGS84() (Debian libgeographiclib-dev). Used by gen_reference.py as a second peer.
#include <GeographicLib/Geodesic.hpp>
#include <cstdio>
int main() {
  const GeographicLib::Geodesic& g = GeographicLib::Geodesic::WGS84();
  double lat1, lon1, lat2, lon2, s12, azi1, azi2;
  while (std::scanf("%lf %lf %lf %lf", &lat1, &lon1, &lat2, &lon2) == 4) {
    g.Inverse(lat1, lon1, lat2, lon2, s12, azi1, azi2);
    std::printf("%.17g %.17g %.17g\n", s12, azi1, azi2);
  }
  return 0;
}
